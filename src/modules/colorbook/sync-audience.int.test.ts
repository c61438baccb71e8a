import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, uniqueEmail, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, setPlan, setProject, storedProject } from '../../../test/helpers/colorbook.js'
import { holdStoryChange } from '../../../test/helpers/colorbook-sync.js'
import { linkToken, outbox, waitFor } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)),
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

interface Change {
  entity: string
  entityId: string
  projectId: string
  op: string
  version: number
  data: Record<string, unknown> | null
}
interface PullPage {
  changes: Change[]
  cursor: string
  hasMore: boolean
}

async function pull(user: TestUser, since?: string): Promise<PullPage> {
  const response = await call(app(), user, 'GET', `/api/sync/changes${since ? `?since=${since}` : ''}`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<PullPage>()
}

/** Every page from `since` (another test's running transaction may hold rows back a moment): until `done` holds. */
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

/** The cursor at the end of the user's feed now. */
const endOf = async (user: TestUser) => (await pullUntil(user, undefined, () => true)).cursor
const ofProject = (list: Change[], projectId: string) => list.filter((c) => c.projectId === projectId)
const has = (entityId: string, op?: string) => (list: Change[]) => list.some((c) => c.entityId === entityId && (op === undefined || c.op === op))
const collaborators = (projectId: string) => `/api/projects/${projectId}/collaborators`

async function shareWith(owner: TestUser, projectId: string, user: TestUser, role: 'editor' | 'viewer'): Promise<void> {
  const response = await call(app(), owner, 'POST', collaborators(projectId), { email: user.email, role })
  expect(response.statusCode, response.body).toBe(201)
}

/** An enterprise owner's project with a story and a drawing. */
async function teamProject() {
  const owner = await loginAs(app())
  await setPlan(app(), owner, 'enterprise')
  const project = await createProject(app(), owner, { title: 'Team book' })
  const story = await addChild(app(), owner, project.id, 'stories', { text: 'Once' })
  const drawing = await addChild(app(), owner, project.id, 'drawings', { strokes: [] })
  return { owner, project, story, drawing }
}

async function watch(user: TestUser, projectId: string): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(`project:${projectId}`)).toMatchObject({ type: 'subscribed' })
  return socket
}

describe('gaining access', () => {
  it('a new collaborator’s feed carries the whole project as it is now, with no other change to it; nobody else’s does', async () => {
    const { owner, project, story, drawing } = await teamProject()
    const [bob, eve] = await Promise.all([loginAs(app()), loginAs(app())])
    const [bobStart, ownerStart, eveStart] = await Promise.all([endOf(bob), endOf(owner), endOf(eve)])

    await shareWith(owner, project.id, bob, 'viewer')
    const got = await pullUntil(bob, bobStart, (list) => has(project.id)(list) && has(story.id)(list) && has(drawing.id)(list))
    expect(ofProject(got.changes, project.id)).toEqual([
      expect.objectContaining({ entity: 'project', entityId: project.id, op: 'update', version: 1, data: expect.objectContaining({ title: 'Team book' }) }),
      expect.objectContaining({ entity: 'story', entityId: story.id, op: 'update', version: 1, data: expect.objectContaining({ text: 'Once' }) }),
      expect.objectContaining({ entity: 'drawing', entityId: drawing.id, op: 'update', version: 1, data: expect.objectContaining({ id: drawing.id }) }),
    ])
    // The rows name bob only: the owner's and a stranger's feeds carry nothing new.
    await pullUntil(bob, got.cursor, () => true)
    expect(ofProject((await pullUntil(owner, ownerStart, () => true)).changes, project.id)).toEqual([])
    expect(ofProject((await pullUntil(eve, eveStart, () => true)).changes, project.id)).toEqual([])

    // A role change sends the project again (their devices refresh what they may do).
    const changed = await call(app(), owner, 'PUT', `${collaborators(project.id)}/${bob.id}`, { role: 'editor' })
    expect(changed.statusCode, changed.body).toBe(200)
    const again = await pullUntil(bob, got.cursor, has(project.id))
    expect(ofProject(again.changes, project.id).map((c) => [c.entity, c.op])).toEqual([
      ['project', 'update'],
      ['story', 'update'],
      ['drawing', 'update'],
    ])
  })

  it('an invitation taken up (the address verified) gives the newcomer’s feed the project too', async () => {
    const { owner, project, story } = await teamProject()
    const email = uniqueEmail('invited')
    expect((await call(app(), owner, 'POST', collaborators(project.id), { email, role: 'viewer' })).statusCode).toBe(202)
    const newcomer = await registerUser(app(), { email })
    const before = await endOf(newcomer)
    const message = await waitFor(async () => (await outbox(app(), email)).find((m) => /Confirm your e-mail/.test(m.subject)))
    const verified = await app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: linkToken(message.text, '/verify-email') } })
    expect(verified.statusCode, verified.body).toBe(200)
    const got = await pullUntil(newcomer, before, (list) => has(project.id)(list) && has(story.id)(list))
    expect(ofProject(got.changes, project.id).map((c) => [c.entity, c.op, c.data === null])).toEqual([
      ['project', 'update', false],
      ['story', 'update', false],
      ['drawing', 'update', false],
    ])
  })
})

describe('losing access', () => {
  it('an ended share (removed, or leaving) reaches that collaborator as a tombstone, and only them', async () => {
    const { owner, project, story } = await teamProject()
    const [bob, cat] = await Promise.all([loginAs(app()), loginAs(app())])
    await shareWith(owner, project.id, bob, 'editor')
    await shareWith(owner, project.id, cat, 'viewer')
    const [bobAt, catAt, ownerAt] = await Promise.all([
      pullUntil(bob, undefined, has(story.id)).then((p) => p.cursor),
      pullUntil(cat, undefined, has(story.id)).then((p) => p.cursor),
      endOf(owner),
    ])
    const version = (await storedProject(app(), project.id))!.version

    expect((await call(app(), owner, 'DELETE', `${collaborators(project.id)}/${bob.id}`)).statusCode).toBe(204)
    expect((await call(app(), cat, 'DELETE', `${collaborators(project.id)}/${cat.id}`)).statusCode).toBe(204)
    for (const [user, at] of [
      [bob, bobAt],
      [cat, catAt],
    ] as const) {
      const gone = await pullUntil(user, at, has(project.id, 'delete'))
      expect(ofProject(gone.changes, project.id)).toEqual([{ entity: 'project', entityId: project.id, projectId: project.id, op: 'delete', version: version + 1, data: null, at: expect.any(String) }])
      // A new device of theirs gets nothing of it.
      expect(ofProject((await pullUntil(user, undefined, () => true)).changes, project.id)).toEqual([])
    }
    // The owner still has the project: no tombstone in their feed.
    expect(ofProject((await pullUntil(owner, ownerAt, () => true)).changes, project.id)).toEqual([])
    expect((await pullUntil(owner, undefined, has(story.id))).changes.filter((c) => c.entityId === project.id)).toEqual([expect.objectContaining({ op: 'create', data: expect.objectContaining({ id: project.id }) })])

    // Shared again: the project as it is now (a page keeps each entity's last change: not the tombstone).
    await shareWith(owner, project.id, bob, 'viewer')
    const back = await pullUntil(bob, bobAt, has(story.id))
    expect(ofProject(back.changes, project.id).map((c) => [c.entity, c.op, c.data === null])).toEqual([
      ['project', 'update', false],
      ['story', 'update', false],
      ['drawing', 'update', false],
    ])
    expect(ofProject((await pullUntil(bob, undefined, has(story.id))).changes, project.id).map((c) => c.entity)).toEqual(['project', 'story', 'drawing'])
  })

  it('a purge (permanent delete, or the trash job) reaches the owner and every collaborator as a tombstone', async () => {
    for (const how of ['permanent', 'job'] as const) {
      const { owner, project, story } = await teamProject()
      const bob = await loginAs(app())
      await shareWith(owner, project.id, bob, 'viewer')
      const [bobAt, ownerAt] = await Promise.all([pullUntil(bob, undefined, has(story.id)).then((p) => p.cursor), pullUntil(owner, undefined, has(story.id)).then((p) => p.cursor)])
      if (how === 'permanent') {
        expect((await call(app(), owner, 'DELETE', `/api/projects/${project.id}?permanent=true`)).statusCode).toBe(204)
      } else {
        await setProject(app(), project.id, { trashedAt: new Date(Date.now() - 40 * 86_400_000) })
        await api.projects.purgeTrashed(new Date(Date.now() - 30 * 86_400_000), 100)
      }
      expect(await storedProject(app(), project.id)).toBeUndefined()
      for (const [user, at] of [
        [bob, bobAt],
        [owner, ownerAt],
      ] as const) {
        const gone = await pullUntil(user, at, has(project.id, 'delete'))
        expect(ofProject(gone.changes, project.id), how).toEqual([expect.objectContaining({ entity: 'project', op: 'delete', data: null })])
        expect(ofProject((await pullUntil(user, undefined, () => true)).changes, project.id), how).toEqual([])
      }
    }
  })

  it('keeps the late-commit rule: a tombstone behind a running transaction waits for it', async () => {
    const { owner, project, story } = await teamProject()
    const other = await createProject(app(), owner, { title: 'Other' })
    const otherStory = await addChild(app(), owner, other.id, 'stories', { text: 'x' })
    const bob = await loginAs(app())
    await shareWith(owner, project.id, bob, 'viewer')
    const at = (await pullUntil(bob, undefined, has(story.id))).cursor

    const held = await holdStoryChange(app(), other.id, otherStory.id, 'late')
    expect((await call(app(), owner, 'DELETE', `${collaborators(project.id)}/${bob.id}`)).statusCode).toBe(204)
    const during = await pull(bob, at)
    expect(during.changes).toEqual([])
    await held.commit()
    const after = await pullUntil(bob, during.cursor, has(project.id, 'delete'))
    expect(ofProject(after.changes, project.id)).toEqual([expect.objectContaining({ op: 'delete', data: null })])
  })
})

describe('the project:<id> room', () => {
  it('ends collaborators’ subscriptions when the project is trashed, and everyone’s when it is purged', async () => {
    const { owner, project } = await teamProject()
    const bob = await loginAs(app())
    await shareWith(owner, project.id, bob, 'editor')
    const [bobs, owners] = await Promise.all([watch(bob, project.id), watch(owner, project.id)])
    const room = `project:${project.id}`

    expect((await call(app(), owner, 'DELETE', `/api/projects/${project.id}`)).statusCode).toBe(204)
    expect(await bobs.next((m) => m.type === 'unsubscribed')).toMatchObject({ type: 'unsubscribed', room, reason: 'revoked' })
    // The owner keeps it: the trash event reaches them after bob was revoked, and no unsubscribe.
    expect(await owners.next((m) => m.type === 'event')).toMatchObject({ room, event: 'project.updated' })
    expect(await bobs.subscribe(room)).toMatchObject({ type: 'error' })

    expect((await call(app(), owner, 'DELETE', `/api/projects/${project.id}?permanent=true`)).statusCode).toBe(204)
    expect(await owners.next((m) => m.type === 'event')).toMatchObject({ room, event: 'project.deleted' })
    expect(await owners.next((m) => m.type === 'unsubscribed')).toMatchObject({ type: 'unsubscribed', room, reason: 'revoked' })
  })
})
