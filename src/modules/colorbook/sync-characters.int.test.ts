import { randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, setPlan, share, storedChanges } from '../../../test/helpers/colorbook.js'
import { storedCharacters, storedStyles } from '../../../test/helpers/colorbook-templates.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { waitFor } from '../../../test/helpers/identity.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'

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

async function pull(user: TestUser, since?: string): Promise<{ changes: Change[]; cursor: string; hasMore: boolean }> {
  const response = await call(app(), user, 'GET', `/api/sync/changes${since ? `?since=${since}` : ''}`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}

/** Every page until `done` holds (another test's transaction still running may hold changes back a moment). */
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
const ofEntities = (list: Change[], ...entities: string[]) => list.filter((c) => entities.includes(c.entity)).map((c) => [c.entity, c.op, c.version])

async function push(user: TestUser, mutations: Record<string, unknown>[]) {
  const response = await call(app(), user, 'POST', '/api/sync/push', { mutations })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ results: Record<string, unknown>[] }>().results
}

async function created(user: TestUser, url: string, body: Record<string, unknown>) {
  const response = await call(app(), user, 'POST', url, body)
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; version: number; [key: string]: unknown }>()
}
const addCharacter = (user: TestUser, projectId: string, body: Record<string, unknown> = { name: 'Fox' }) => created(user, `/api/projects/${projectId}/characters`, body)
const addStyle = (user: TestUser, projectId: string, body: Record<string, unknown> = { name: 'Ink' }) => created(user, `/api/projects/${projectId}/style-presets`, body)

async function fileOf(user: TestUser): Promise<string> {
  const upload = await uploadFile(app(), user, { content: await image('png', 4, 4), filename: 'i.png' })
  expect(upload.statusCode, upload.body).toBe(201)
  return upload.json<{ id: string }>().id
}

describe('characters and styles through POST /api/sync/push', () => {
  it('creates under the device’s ids, merges an update onto the current fields, deletes, and logs and publishes each as REST does', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const start = await pullUntil(ada, undefined, has(project.id))
    const publish = vi.spyOn(api.events, 'publish')
    const [characterId, styleId] = [randomUUID(), randomUUID()]
    const m = Array.from({ length: 4 }, () => randomUUID())
    const results = await push(ada, [
      { id: m[0], entity: 'character', entityId: characterId, op: 'create', data: { projectId: project.id, name: ' Fox ', description: 'red' } },
      { id: m[1], entity: 'style', entityId: styleId, op: 'create', data: { projectId: project.id, name: 'Ink', palette: ['#FF0000'], lineWeight: 2 } },
      { id: m[2], entity: 'character', entityId: characterId, op: 'update', baseVersion: 1, data: { description: 'orange' } },
      { id: m[3], entity: 'style', entityId: styleId, op: 'update', baseVersion: 1, data: { lineWeight: 3 } },
    ])
    expect(results).toEqual([
      { id: m[0], status: 'applied', version: 1 },
      { id: m[1], status: 'applied', version: 1 },
      { id: m[2], status: 'applied', version: 2 },
      { id: m[3], status: 'applied', version: 2 },
    ])
    // What the update left out is kept (PUT alone would have cleared it).
    expect(await storedCharacters(app(), project.id)).toEqual([expect.objectContaining({ id: characterId, name: 'Fox', description: 'orange', version: 2 })])
    expect(await storedStyles(app(), project.id)).toEqual([expect.objectContaining({ id: styleId, name: 'Ink', palette: ['#ff0000'], lineWeight: 3, version: 2 })])
    expect((await storedChanges(app(), project.id)).slice(1)).toEqual([
      { entity: 'character', entityId: characterId, op: 'create', version: 1 },
      { entity: 'style', entityId: styleId, op: 'create', version: 1 },
      { entity: 'character', entityId: characterId, op: 'update', version: 2 },
      { entity: 'style', entityId: styleId, op: 'update', version: 2 },
    ])
    expect(publish.mock.calls.map(([events]) => events.map((e) => e.event))).toEqual([['character.created'], ['style.created'], ['character.updated'], ['style.updated']])
    publish.mockRestore()

    const after = await pullUntil(ada, start.cursor, (list) => has(characterId)(list) && has(styleId)(list))
    expect(of(after.changes, characterId)).toEqual([
      { entity: 'character', entityId: characterId, projectId: project.id, op: 'update', version: 2, data: expect.objectContaining({ id: characterId, name: 'Fox', description: 'orange', referenceFileIds: [] }), at: expect.stringMatching(/Z$/) },
    ])
    expect(of(after.changes, styleId)).toEqual([expect.objectContaining({ entity: 'style', op: 'update', version: 2, data: expect.objectContaining({ id: styleId, palette: ['#ff0000'], lineWeight: 3 }) })])
    // A new device's pass has them too.
    expect(ofEntities((await pullUntil(ada, undefined, has(styleId))).changes, 'character', 'style')).toEqual([
      ['character', 'update', 2],
      ['style', 'update', 2],
    ])

    const deletes = [
      { id: randomUUID(), entity: 'character', entityId: characterId, op: 'delete', baseVersion: 2 },
      { id: randomUUID(), entity: 'style', entityId: styleId, op: 'delete', baseVersion: 2 },
    ]
    expect((await push(ada, deletes)).map((r) => [r.status, r.version])).toEqual([
      ['applied', 3],
      ['applied', 3],
    ])
    expect(await storedCharacters(app(), project.id)).toEqual([])
    expect(await storedStyles(app(), project.id)).toEqual([])
    const gone = await pullUntil(ada, after.cursor, (list) => has(characterId, (c) => c.op === 'delete')(list) && has(styleId, (c) => c.op === 'delete')(list))
    expect(ofEntities(gone.changes, 'character', 'style')).toEqual([
      ['character', 'delete', 3],
      ['style', 'delete', 3],
    ])
    expect(of(gone.changes, characterId)[0]!.data).toBeNull()
    // Resent: the stored results, nothing logged again.
    expect((await push(ada, deletes)).map((r) => [r.status, r.version])).toEqual([
      ['applied', 3],
      ['applied', 3],
    ])
    expect(await storedChanges(app(), project.id)).toHaveLength(7)
  })

  it('answers stale versions with the server’s copy, and a taken id, a viewer, a stranger and bad data as REST would, changing nothing', async () => {
    const [ada, vic, eve] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vic, 'viewer')
    const character = await addCharacter(ada, project.id, { name: 'Fox', description: 'red' })
    const style = await addStyle(ada, project.id)
    const put = await call(app(), ada, 'PUT', `/api/characters/${character.id}`, { name: 'Fox', description: 'from the web', version: 1 })
    expect(put.statusCode, put.body).toBe(200)

    const conflicts = await push(ada, [
      { id: randomUUID(), entity: 'character', entityId: character.id, op: 'update', baseVersion: 1, data: { description: 'from the plane' } },
      { id: randomUUID(), entity: 'character', entityId: character.id, op: 'delete', baseVersion: 1 },
      { id: randomUUID(), entity: 'character', entityId: character.id, op: 'create', data: { projectId: project.id, name: 'Again' } },
    ])
    const server = expect.objectContaining({ id: character.id, description: 'from the web', version: 2 })
    expect(conflicts).toEqual([
      { id: expect.any(String), status: 'conflict', version: 2, server },
      { id: expect.any(String), status: 'conflict', version: 2, server },
      { id: expect.any(String), status: 'conflict', version: 2, server },
    ])

    const refused = async (user: TestUser, mutation: Record<string, unknown>) => (await push(user, [{ id: randomUUID(), ...mutation }]))[0]!.code
    expect(await refused(ada, { entity: 'style', entityId: character.id, op: 'create', data: { projectId: project.id, name: 'Same id' } })).toBe('COLORBOOK_SYNC_ID_TAKEN')
    expect(await refused(vic, { entity: 'style', entityId: randomUUID(), op: 'create', data: { projectId: project.id, name: 'Mine' } })).toBe('COLORBOOK_READ_ONLY')
    expect(await refused(vic, { entity: 'style', entityId: style.id, op: 'update', baseVersion: 1, data: { name: 'Mine' } })).toBe('COLORBOOK_READ_ONLY')
    expect(await refused(eve, { entity: 'character', entityId: character.id, op: 'update', baseVersion: 2, data: { name: 'Mine' } })).toBe('NOT_FOUND')
    expect(await refused(eve, { entity: 'style', entityId: style.id, op: 'delete', baseVersion: 1 })).toBe('NOT_FOUND')
    expect(await refused(eve, { entity: 'character', entityId: randomUUID(), op: 'create', data: { projectId: project.id, name: 'Planted' } })).toBe('NOT_FOUND')
    expect(await refused(ada, { entity: 'character', entityId: randomUUID(), op: 'create', data: { name: 'No project' } })).toBe('VALIDATION_FAILED')
    expect(await refused(ada, { entity: 'character', entityId: character.id, op: 'update', baseVersion: 2, data: { name: '' } })).toBe('VALIDATION_FAILED')
    expect(await refused(ada, { entity: 'character', entityId: character.id, op: 'update', baseVersion: 2, data: { colour: 'red' } })).toBe('VALIDATION_FAILED')
    expect(await refused(ada, { entity: 'style', entityId: style.id, op: 'update', baseVersion: 1, data: { palette: ['red'] } })).toBe('VALIDATION_FAILED')
    expect(await refused(ada, { entity: 'character', entityId: character.id, op: 'update', baseVersion: 2, data: { referenceFileIds: [await fileOf(eve)] } })).toBe('COLORBOOK_FILE_INVALID')

    expect((await storedCharacters(app(), project.id)).map((c) => [c.name, c.description, c.version])).toEqual([['Fox', 'from the web', 2]])
    expect((await storedStyles(app(), project.id)).map((s) => [s.name, s.version])).toEqual([['Ink', 1]])
    expect((await storedChanges(app(), project.id)).map((c) => [c.entity, c.op, c.version])).toEqual([
      ['project', 'create', 1],
      ['character', 'create', 1],
      ['style', 'create', 1],
      ['character', 'update', 2],
    ])
    // The rebased mutation applies.
    expect((await push(ada, [{ id: randomUUID(), entity: 'character', entityId: character.id, op: 'update', baseVersion: 2, data: { description: 'merged' } }]))[0]).toMatchObject({ status: 'applied', version: 3 })
  })
})

describe('characters and styles in GET /api/sync/changes', () => {
  it('carries REST writes, tombstones, and the images a deleted style or character leaves', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const start = await pullUntil(ada, undefined, has(project.id))
    const character = await addCharacter(ada, project.id)
    const style = await addStyle(ada, project.id, { name: 'Ink', palette: ['#000000'] })
    const picture = await addChild(app(), ada, project.id, 'images', { fileId: await fileOf(ada), styleId: style.id, characterIds: [character.id] })
    const put = await call(app(), ada, 'PUT', `/api/style-presets/${style.id}`, { name: 'Ink wash', version: 1 })
    expect(put.statusCode, put.body).toBe(200)
    const first = await pullUntil(ada, start.cursor, has(style.id, (c) => c.version === 2))
    expect(of(first.changes, character.id)).toEqual([expect.objectContaining({ entity: 'character', op: 'create', version: 1, data: expect.objectContaining({ name: 'Fox' }) })])
    expect(of(first.changes, style.id)).toEqual([expect.objectContaining({ entity: 'style', op: 'update', version: 2, data: expect.objectContaining({ name: 'Ink wash', palette: [] }) })])

    expect((await call(app(), ada, 'DELETE', `/api/style-presets/${style.id}`)).statusCode).toBe(204)
    expect((await call(app(), ada, 'DELETE', `/api/characters/${character.id}`)).statusCode).toBe(204)
    const after = await pullUntil(ada, first.cursor, has(character.id))
    expect(of(after.changes, style.id)).toEqual([{ entity: 'style', entityId: style.id, projectId: project.id, op: 'delete', version: 3, data: null, at: expect.any(String) }])
    expect(of(after.changes, character.id)).toEqual([expect.objectContaining({ entity: 'character', op: 'delete', version: 2, data: null })])
    expect(of(after.changes, picture.id)).toEqual([expect.objectContaining({ entity: 'image', op: 'update', version: 3, data: expect.objectContaining({ styleId: null, characterIds: [] }) })])
    // A new device never gets what it never had.
    const fresh = await pullUntil(ada, undefined, has(picture.id))
    expect(fresh.changes.filter((c) => c.projectId === project.id).map((c) => c.entity)).toEqual(['project', 'image'])
  })

  it('gives a new collaborator’s device the characters and styles, and logs those a duplicate, a template, an import and a restore create', async () => {
    const [ada, vic] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), ada, 'enterprise')
    const project = await createProject(app(), ada)
    const character = await addCharacter(ada, project.id)
    const style = await addStyle(ada, project.id)

    // Shared after vic's device last pulled: the share brings the project's characters and styles to its feed.
    const own = await createProject(app(), vic)
    const before = await pullUntil(vic, undefined, has(own.id))
    const shared = await call(app(), ada, 'POST', `/api/projects/${project.id}/collaborators`, { email: vic.email, role: 'viewer' })
    expect(shared.statusCode, shared.body).toBe(201)
    const granted = await pullUntil(vic, before.cursor, (list) => has(character.id)(list) && has(style.id)(list))
    expect(ofEntities(granted.changes.filter((c) => c.projectId === project.id), 'character', 'style')).toEqual([
      ['character', 'update', 1],
      ['style', 'update', 1],
    ])
    expect(of(granted.changes, character.id)[0]!.data).toMatchObject({ id: character.id, name: 'Fox' })

    const logged = async (projectId: string) => (await storedChanges(app(), projectId)).filter((c) => c.entity === 'character' || c.entity === 'style').map((c) => [c.entity, c.op, c.version])
    const copy = await created(ada, `/api/projects/${project.id}/duplicate`, {})
    expect(await logged(copy.id)).toEqual([
      ['character', 'create', 1],
      ['style', 'create', 1],
    ])
    const template = await created(ada, `/api/projects/${project.id}/publish`, {})
    const used = await created(ada, `/api/templates/${template.id}/use`, {})
    expect(await logged(used.id)).toEqual([
      ['character', 'create', 1],
      ['style', 'create', 1],
    ])
    const doc = {
      format: 'colorbook.project',
      version: 1,
      project: { title: 'Imported', description: null, tags: [], pageFormat: { size: 'A4', orientation: 'portrait' }, settings: {}, coverFileId: null },
      stories: [],
      styles: [{ id: randomUUID(), name: 'Ink', promptFragment: null, palette: [], lineWeight: null }],
      characters: [{ id: randomUUID(), name: 'Fox', description: null, referenceFileIds: [] }],
      images: [],
      drawings: [],
    }
    const imported = await created(ada, '/api/projects/import', doc)
    expect(await logged(imported.id)).toEqual([
      ['character', 'create', 1],
      ['style', 'create', 1],
    ])

    // A restore brings back the deleted character (its version past its tombstone's) and puts back the style.
    const saved = await created(ada, `/api/projects/${project.id}/versions`, { label: 'Before' })
    expect((await call(app(), ada, 'DELETE', `/api/characters/${character.id}`)).statusCode).toBe(204)
    expect((await call(app(), ada, 'PUT', `/api/style-presets/${style.id}`, { name: 'Changed', version: 1 })).statusCode).toBe(200)
    const publish = vi.spyOn(api.events, 'publish')
    const restored = await call(app(), ada, 'POST', `/api/projects/${project.id}/versions/${saved.id}/restore`)
    expect(restored.statusCode, restored.body).toBe(200)
    const events = publish.mock.calls.flatMap(([list]) => list.map((e) => e.event))
    publish.mockRestore()
    expect(events).toEqual(expect.arrayContaining(['character.created', 'style.updated']))
    expect((await logged(project.id)).slice(-2)).toEqual([
      ['style', 'update', 3],
      ['character', 'create', 3],
    ])
    const view = await pullUntil(vic, granted.cursor, has(character.id, (c) => c.op !== 'delete' && c.version === 3))
    expect(of(view.changes, character.id).at(-1)).toMatchObject({ op: 'create', version: 3, data: { name: 'Fox' } })
    expect(of(view.changes, style.id).at(-1)).toMatchObject({ op: 'update', version: 3, data: { name: 'Ink' } })
  })
})
