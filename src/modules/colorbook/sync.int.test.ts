import { randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, setPlan, share, storedChanges, storedProject, storedStories } from '../../../test/helpers/colorbook.js'
import { holdStoryChange, loggedEntities, mutationOwners } from '../../../test/helpers/colorbook-sync.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError, waitFor } from '../../../test/helpers/identity.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'
import { encodeSyncCursor } from './sync.service.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({ modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)) })

interface Change {
  entity: string
  entityId: string
  projectId: string
  op: string
  version: number
  data: Record<string, unknown> | null
  at: string
}
interface PullPage {
  changes: Change[]
  cursor: string
  hasMore: boolean
}

async function pull(user: TestUser, since?: string, limit?: number): Promise<PullPage> {
  const query = new URLSearchParams({ ...(since ? { since } : {}), ...(limit ? { limit: String(limit) } : {}) })
  const response = await call(app(), user, 'GET', `/api/sync/changes?${query.toString()}`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<PullPage>()
}

/**
 * Pulls (every page) until `done` holds for what arrived: a change of another test's transaction
 * still running on the same server may hold these back for a moment, which is the feed's rule.
 */
function pullUntil(user: TestUser, since: string | undefined, done: (changes: Change[]) => boolean) {
  let cursor = since
  const seen: Change[] = []
  return waitFor(async () => {
    for (;;) {
      const page = await pull(user, cursor)
      seen.push(...page.changes)
      cursor = page.cursor
      if (!page.hasMore) break
    }
    return done(seen) ? { changes: seen, cursor: cursor ?? '' } : undefined
  })
}

const of = (list: Change[], entityId: string) => list.filter((c) => c.entityId === entityId)
const has = (entityId: string, test: (c: Change) => boolean = () => true) => (list: Change[]) => list.some((c) => c.entityId === entityId && test(c))

async function push(user: TestUser, mutations: Record<string, unknown>[]) {
  const response = await call(app(), user, 'POST', '/api/sync/push', { mutations })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ results: Record<string, unknown>[] }>().results
}

describe('POST /api/sync/push then GET /api/sync/changes', () => {
  it('creates under the device’s ids, applies in order through the services, and the pull carries the current data', async () => {
    const ada = await loginAs(app())
    const publish = vi.spyOn(api.events, 'publish')
    const projectId = randomUUID()
    const storyId = randomUUID()
    const m = [randomUUID(), randomUUID(), randomUUID()]
    const results = await push(ada, [
      { id: m[0], entity: 'project', entityId: projectId, op: 'create', data: { title: '  Offline book ', tags: ['a'] } },
      { id: m[1], entity: 'story', entityId: storyId, op: 'create', data: { projectId, title: 'One', text: 'draft' } },
      { id: m[2], entity: 'story', entityId: storyId, op: 'update', baseVersion: 1, data: { text: 'final' } },
    ])
    expect(results).toEqual([
      { id: m[0], status: 'applied', version: 1 },
      { id: m[1], status: 'applied', version: 1 },
      { id: m[2], status: 'applied', version: 2 },
    ])
    expect(await storedProject(app(), projectId)).toMatchObject({ ownerId: ada.id, title: 'Offline book' })
    expect(await storedChanges(app(), projectId)).toEqual([
      { entity: 'project', entityId: projectId, op: 'create', version: 1 },
      { entity: 'story', entityId: storyId, op: 'create', version: 1 },
      { entity: 'story', entityId: storyId, op: 'update', version: 2 },
    ])
    // Realtime as for REST: the story's events, after each commit.
    expect(publish.mock.calls.map(([events]) => events.map((e) => e.event))).toEqual([['story.created'], ['story.updated']])
    publish.mockRestore()

    // A new device: one change per entity, with its data now.
    const first = await pullUntil(ada, undefined, has(storyId))
    expect(first.changes).toEqual([
      { entity: 'project', entityId: projectId, projectId, op: 'create', version: 1, data: expect.objectContaining({ id: projectId, title: 'Offline book', tags: ['a'], version: 1 }), at: expect.stringMatching(/Z$/) },
      { entity: 'story', entityId: storyId, projectId, op: 'update', version: 2, data: expect.objectContaining({ id: storyId, text: 'final', version: 2, position: 0 }), at: expect.stringMatching(/Z$/) },
    ])
    expect(first.changes[0]!.data).not.toHaveProperty('role')

    // Then only what changed since, a REST write included.
    const patched = await call(app(), ada, 'PATCH', `/api/projects/${projectId}`, { title: 'Renamed', version: 1 })
    expect(patched.statusCode, patched.body).toBe(200)
    const next = await pullUntil(ada, first.cursor, has(projectId))
    expect(next.changes).toEqual([expect.objectContaining({ entity: 'project', entityId: projectId, op: 'update', version: 2, data: expect.objectContaining({ title: 'Renamed' }) })])
    const quiet = await pull(ada, next.cursor)
    expect(quiet).toEqual({ changes: [], cursor: next.cursor, hasMore: false })
  })

  it('pages with limit and hasMore, never repeating an entity, and always answers a cursor', async () => {
    const ada = await loginAs(app())
    const empty = await pull(ada)
    expect(empty).toEqual({ changes: [], cursor: expect.any(String), hasMore: false })
    const project = await createProject(app(), ada)
    const a = await addChild(app(), ada, project.id, 'stories', { text: 'a' })
    const b = await addChild(app(), ada, project.id, 'drawings', { strokes: [{ points: [[0, 0]], width: 1 }] })
    expect((await pullUntil(ada, undefined, has(b.id))).changes).toHaveLength(3)
    const ids: string[] = []
    let cursor: string | undefined
    for (let page = 0; page < 3; page++) {
      const answer = await pull(ada, cursor, 1)
      expect(answer.changes).toHaveLength(1)
      expect(answer.hasMore).toBe(page < 2)
      ids.push(answer.changes[0]!.entityId)
      cursor = answer.cursor
    }
    expect(ids).toEqual([project.id, a.id, b.id])
    expect(await pull(ada, cursor, 1)).toMatchObject({ changes: [], hasMore: false })
  })

  it('refuses a bad request with 400 and a bad mutation alone, as REST would', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'x' })
    const bad = (payload: unknown) => call(app(), ada, 'POST', '/api/sync/push', payload)
    const one = { id: 'm', entity: 'story', entityId: story.id, op: 'update', baseVersion: 1, data: { text: 'y' } }
    expectError(await bad({ mutations: [{ ...one, extra: 1 }] }), 400, 'VALIDATION_FAILED')
    expectError(await bad({ mutations: [{ ...one, entity: 'version' }] }), 400, 'VALIDATION_FAILED')
    expectError(await bad({ mutations: [{ ...one, baseVersion: '1' }] }), 400, 'VALIDATION_FAILED')
    expectError(await bad({ mutations: one }), 400, 'VALIDATION_FAILED')
    expectError(await bad({ mutations: [] }), 400, 'VALIDATION_FAILED')
    expectError(await bad({ mutations: Array.from({ length: 101 }, (_, i) => ({ ...one, id: `m${i}` })) }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), undefined, 'POST', '/api/sync/push', { mutations: [one] }), 401, 'UNAUTHENTICATED')
    expectError(await call(app(), ada, 'GET', '/api/sync/changes?since=bm9wZQ'), 400, 'INVALID_CURSOR')
    expectError(await call(app(), ada, 'GET', '/api/sync/changes?limit=1001'), 400, 'VALIDATION_FAILED')

    const results = await push(ada, [
      { id: 'a', entity: 'story', entityId: story.id, op: 'update', baseVersion: 1, data: { text: 5 } },
      { id: 'b', entity: 'story', entityId: story.id, op: 'update', data: { text: 'no base' } },
      { id: 'c', entity: 'story', entityId: randomUUID(), op: 'create', data: { text: 'no project' } },
      { id: 'd', entity: 'project', entityId: randomUUID(), op: 'create', data: { title: 'x', color: 'red' } },
      { id: 'e', entity: 'story', entityId: story.id, op: 'update', baseVersion: 1, data: { text: 'ok' } },
    ])
    expect(results.map((r) => [r.id, r.status, r.code])).toEqual([
      ['a', 'error', 'VALIDATION_FAILED'],
      ['b', 'error', 'VALIDATION_FAILED'],
      ['c', 'error', 'VALIDATION_FAILED'],
      ['d', 'error', 'VALIDATION_FAILED'],
      ['e', 'applied', undefined],
    ])
    expect(results[0]!.details).toEqual({ '/data/text': expect.any(String) })
    expect((await storedStories(app(), project.id)).map((s) => [s.text, s.version])).toEqual([['ok', 2]])
    // A refusal is not kept: resent once fixed, the same id applies.
    expect(await push(ada, [{ id: 'a', entity: 'story', entityId: story.id, op: 'update', baseVersion: 2, data: { text: 'fixed' } }])).toEqual([{ id: 'a', status: 'applied', version: 3 }])
  })

  it('answers a plan limit, a viewer’s write and an owner-only delete with the REST codes', async () => {
    const [ada, vic] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), ada, 'free')
    const project = await createProject(app(), ada)
    await share(app(), project.id, vic, 'viewer')
    for (let i = 1; i < 10; i++) await createProject(app(), ada)
    const [limit] = await push(ada, [{ id: randomUUID(), entity: 'project', entityId: randomUUID(), op: 'create', data: { title: 'Eleventh' } }])
    expect(limit).toMatchObject({ status: 'error', code: 'PLAN_LIMIT_REACHED', details: { limit: 'projects', used: 10 } })
    const results = await push(vic, [
      { id: randomUUID(), entity: 'project', entityId: project.id, op: 'update', baseVersion: 1, data: { title: 'mine now' } },
      { id: randomUUID(), entity: 'project', entityId: project.id, op: 'delete', baseVersion: 1 },
    ])
    expect(results.map((r) => r.code)).toEqual(['COLORBOOK_READ_ONLY', 'COLORBOOK_OWNER_ONLY'])
    expect(await storedProject(app(), project.id)).toMatchObject({ version: 1, trashedAt: null })
  })
})

describe('a change that commits late', () => {
  it('is held back, with everything after it, until its transaction ends; then the cursor still delivers it', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'Before' })
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'early' })
    const start = await pullUntil(ada, undefined, has(story.id))

    const held = await holdStoryChange(app(), project.id, story.id, 'late')
    // A write that starts after it and commits first.
    const patched = await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'After', version: 1 })
    expect(patched.statusCode, patched.body).toBe(200)
    const during = await pull(ada, start.cursor)
    expect(during.changes).toEqual([])

    await held.commit()
    const after = await pullUntil(ada, during.cursor, (list) => has(story.id)(list) && has(project.id)(list))
    expect(of(after.changes, story.id)).toEqual([expect.objectContaining({ op: 'update', version: 2, data: expect.objectContaining({ text: 'late' }) })])
    expect(of(after.changes, project.id)).toEqual([expect.objectContaining({ op: 'update', version: 2, data: expect.objectContaining({ title: 'After' }) })])
    // The late change has the lower id: a cursor of "the last id seen" taken during the wait would have skipped it.
    expect(await loggedEntities(app(), project.id)).toEqual(['project', 'story', 'story', 'project'])
  })
})

describe('each mutation id applies once', () => {
  it('returns the stored result to a resend, sequential or at the same time, and changes nothing again', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'v1' })
    const update = { id: randomUUID(), entity: 'story', entityId: story.id, op: 'update', baseVersion: 1, data: { text: 'v2' } }
    expect(await push(ada, [update])).toEqual([{ id: update.id, status: 'applied', version: 2 }])
    expect(await push(ada, [update, update])).toEqual([
      { id: update.id, status: 'applied', version: 2 },
      { id: update.id, status: 'applied', version: 2 },
    ])
    const created = { id: randomUUID(), entity: 'story', entityId: randomUUID(), op: 'create', data: { projectId: project.id, text: 'new' } }
    const [first, second] = await Promise.all([push(ada, [created]), push(ada, [created])])
    const outcomes = [first[0], second[0]]
    expect(outcomes).toContainEqual({ id: created.id, status: 'applied', version: 1 })
    // The other waited for nothing: it got the stored result, or was told the first is still running.
    for (const outcome of outcomes) expect([{ id: created.id, status: 'applied', version: 1 }, expect.objectContaining({ status: 'error', code: 'COLORBOOK_SYNC_IN_PROGRESS' })]).toContainEqual(outcome)
    expect(await push(ada, [created])).toEqual([{ id: created.id, status: 'applied', version: 1 }])
    expect((await storedStories(app(), project.id)).map((s) => [s.text, s.version])).toEqual([
      ['v2', 2],
      ['new', 1],
    ])
    expect((await storedChanges(app(), project.id)).filter((c) => c.op !== 'create')).toEqual([{ entity: 'story', entityId: story.id, op: 'update', version: 2 }])
    // Per user: another account's mutation of the same id is its own.
    const bob = await loginAs(app())
    expect((await push(bob, [update]))[0]).toMatchObject({ status: 'error', code: 'NOT_FOUND' })
    expect(await mutationOwners(app(), update.id)).toEqual([ada.id])
  })
})

describe('conflicts', () => {
  it('answers a stale baseVersion with the server’s copy and changes nothing; a create under an existing id too', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'v1' })
    expect((await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'from the web', version: 1 })).statusCode).toBe(200)
    const results = await push(ada, [
      { id: randomUUID(), entity: 'story', entityId: story.id, op: 'update', baseVersion: 1, data: { text: 'from the plane' } },
      { id: randomUUID(), entity: 'story', entityId: story.id, op: 'delete', baseVersion: 1 },
      { id: randomUUID(), entity: 'project', entityId: project.id, op: 'update', baseVersion: 7, data: { title: 'x' } },
      { id: randomUUID(), entity: 'story', entityId: story.id, op: 'create', data: { projectId: project.id, text: 'again' } },
    ])
    const server = expect.objectContaining({ id: story.id, text: 'from the web', version: 2 })
    expect(results).toEqual([
      { id: expect.any(String), status: 'conflict', version: 2, server },
      { id: expect.any(String), status: 'conflict', version: 2, server },
      { id: expect.any(String), status: 'conflict', version: 1, server: expect.objectContaining({ id: project.id, version: 1 }) },
      { id: expect.any(String), status: 'conflict', version: 2, server },
    ])
    expect(results[2]!.server).not.toHaveProperty('role')
    expect((await storedStories(app(), project.id)).map((s) => [s.text, s.version])).toEqual([['from the web', 2]])
    // A conflict is not kept: the device rebases and sends a new mutation.
    expect((await push(ada, [{ id: randomUUID(), entity: 'story', entityId: story.id, op: 'update', baseVersion: 2, data: { text: 'merged' } }]))[0]).toMatchObject({ status: 'applied', version: 3 })
  })
})

describe('a stranger’s entity', () => {
  it('is an error that shows nothing of it, and never appears in the stranger’s pull', async () => {
    const [ada, eve] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada, { title: 'Secret' })
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'secret text' })
    const results = await push(eve, [
      { id: randomUUID(), entity: 'story', entityId: story.id, op: 'update', baseVersion: 1, data: { text: 'mine' } },
      { id: randomUUID(), entity: 'story', entityId: story.id, op: 'delete', baseVersion: 1 },
      { id: randomUUID(), entity: 'project', entityId: project.id, op: 'delete', baseVersion: 1 },
      { id: randomUUID(), entity: 'story', entityId: randomUUID(), op: 'create', data: { projectId: project.id, text: 'planted' } },
      { id: randomUUID(), entity: 'project', entityId: project.id, op: 'create', data: { title: 'Same id' } },
      { id: randomUUID(), entity: 'story', entityId: story.id, op: 'create', data: { projectId: project.id, text: 'same id' } },
    ])
    expect(results.map((r) => [r.status, r.code])).toEqual([
      ['error', 'NOT_FOUND'],
      ['error', 'NOT_FOUND'],
      ['error', 'NOT_FOUND'],
      ['error', 'NOT_FOUND'],
      ['error', 'COLORBOOK_SYNC_ID_TAKEN'],
      ['error', 'COLORBOOK_SYNC_ID_TAKEN'],
    ])
    for (const result of results) {
      expect(result).not.toHaveProperty('server')
      expect(JSON.stringify(result)).not.toMatch(/Secret|secret text/)
    }
    expect(await storedStories(app(), project.id)).toHaveLength(1)
    const eves = await pull(eve)
    expect(eves.changes.filter((c) => c.projectId === project.id)).toEqual([])
  })
})

describe('tombstones', () => {
  it('carry a deletion with null data; a new device’s pass leaves out what it never had', async () => {
    const [ada, vic] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vic, 'editor')
    const keep = await addChild(app(), ada, project.id, 'stories', { text: 'keep' })
    const gone = await addChild(app(), ada, project.id, 'images', { fileId: await fileOf(ada) })
    const start = await pullUntil(vic, undefined, has(gone.id))

    const [deleted] = await push(vic, [{ id: randomUUID(), entity: 'image', entityId: gone.id, op: 'delete', baseVersion: 1 }])
    expect(deleted).toMatchObject({ status: 'applied', version: 2 })
    const after = await pullUntil(vic, start.cursor, has(gone.id))
    expect(of(after.changes, gone.id)).toEqual([{ entity: 'image', entityId: gone.id, projectId: project.id, op: 'delete', version: 2, data: null, at: expect.any(String) }])
    // Deleting it again: gone is not found (the device already has the tombstone).
    expect((await push(vic, [{ id: randomUUID(), entity: 'image', entityId: gone.id, op: 'delete', baseVersion: 2 }]))[0]).toMatchObject({ status: 'error', code: 'NOT_FOUND' })
    // Its id stays taken: a create under it would resurrect an entity the devices dropped.
    expect((await push(ada, [{ id: randomUUID(), entity: 'image', entityId: gone.id, op: 'create', data: { projectId: project.id, fileId: await fileOf(ada) } }]))[0]).toMatchObject({ status: 'error', code: 'COLORBOOK_SYNC_ID_TAKEN' })

    const fresh = await pullUntil(vic, undefined, has(keep.id))
    expect(fresh.changes.filter((c) => c.projectId === project.id).map((c) => c.entityId)).toEqual([project.id, keep.id])
    const full = await pullUntil(vic, encodeSyncCursor({ tx: '0', id: 0 }, false), has(gone.id, (c) => c.data === null))
    expect(of(full.changes, gone.id)).toEqual([expect.objectContaining({ op: 'delete', data: null })])

    // To the trash: the owner sees it there; a collaborator, who can no longer see it, gets a tombstone.
    const [trashed] = await push(ada, [{ id: randomUUID(), entity: 'project', entityId: project.id, op: 'delete', baseVersion: 1 }])
    expect(trashed).toMatchObject({ status: 'applied', version: 2 })
    const owners = await pullUntil(ada, start.cursor, has(project.id))
    expect(of(owners.changes, project.id)).toEqual([expect.objectContaining({ op: 'update', version: 2, data: expect.objectContaining({ trashedAt: expect.any(String) }) })])
    const collaborators = await pullUntil(vic, after.cursor, has(project.id))
    expect(of(collaborators.changes, project.id)).toEqual([expect.objectContaining({ op: 'delete', data: null })])
    expect((await pullUntil(vic, undefined, () => true)).changes.filter((c) => c.projectId === project.id)).toEqual([])
  })
})

describe('versions and collaborators in the feed', () => {
  it('carries a saved version without its snapshot to every reader, and no child of a trashed project to a collaborator', async () => {
    const [ada, vic, eve] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    await setPlan(app(), ada, 'pro')
    const project = await createProject(app(), ada)
    await share(app(), project.id, vic, 'viewer')
    const start = await pullUntil(vic, undefined, has(project.id))
    const saved = await call(app(), ada, 'POST', `/api/projects/${project.id}/versions`, { label: 'First draft' })
    expect(saved.statusCode, saved.body).toBe(201)
    const versionId = saved.json<{ id: string }>().id
    const after = await pullUntil(vic, start.cursor, has(versionId))
    const [change] = of(after.changes, versionId)
    expect(change).toMatchObject({ entity: 'version', projectId: project.id, op: 'create', version: 1, data: { id: versionId, projectId: project.id, kind: 'named', label: 'First draft' } })
    expect(change!.data).not.toHaveProperty('snapshot')
    expect((await pull(eve)).changes.filter((c) => c.projectId === project.id)).toEqual([])

    expect((await call(app(), ada, 'DELETE', `/api/projects/${project.id}`)).statusCode).toBe(204)
    const trashed = await pullUntil(vic, after.cursor, has(project.id))
    expect(trashed.changes).toEqual([expect.objectContaining({ entity: 'project', entityId: project.id, op: 'delete', data: null })])
    // A new device of the collaborator gets neither the project nor its version.
    expect((await pullUntil(vic, undefined, () => true)).changes.filter((c) => c.projectId === project.id)).toEqual([])
    expect((await pull(vic, encodeSyncCursor({ tx: '0', id: 0 }, false))).changes.filter((c) => c.projectId === project.id).map((c) => [c.entity, c.op])).toEqual([['project', 'delete']])
    // The owner still has it, children and versions included, in the new device's pass.
    const owners = await pullUntil(ada, undefined, has(versionId))
    expect(of(owners.changes, project.id)).toEqual([expect.objectContaining({ op: 'update', data: expect.objectContaining({ trashedAt: expect.any(String) }) })])
  })
})

/** One of the user's files, for an image. */
async function fileOf(user: TestUser): Promise<string> {
  const upload = await uploadFile(app(), user, { content: await image('png', 4, 4), filename: 'i.png' })
  expect(upload.statusCode, upload.body).toBe(201)
  return upload.json<{ id: string }>().id
}
