import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { JobContext } from '../../core/jobs/index.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, setProject, share, storedChanges, storedProject } from '../../../test/helpers/colorbook.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'
import { purgeTrashJob } from './jobs.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = {
  ...colorbookModule,
  createApi: (ctx) => (api = colorbookModule.createApi(ctx)),
}
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)),
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

async function connect(user: TestUser): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  return socket
}

describe('the project:<id> room', () => {
  it('replays what a device missed after a large drawing write: drawing events leave the strokes out, so they never fill the room’s replay window', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const room = `project:${project.id}`
    const device = await connect(ada)
    const before = (await device.subscribe(room)).seq as number
    device.close()

    // About 1.2 MiB of strokes: more than the replay window a room keeps (256 KiB).
    const strokes = Array.from({ length: 60 }, (_, i) => ({ points: Array.from({ length: 1000 }, (_, j) => [i * 1000 + j + 0.25, j * 7 + 0.5]), width: 2 }))
    const drawing = await addChild(app(), ada, project.id, 'drawings', { strokes })
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'after the drawing' })

    const again = await connect(ada)
    expect(await again.subscribe(room, before)).toMatchObject({ type: 'subscribed', room })
    const replayed = await again.events(room, 2)
    expect(replayed.map((e) => [e.event, e.data])).toEqual([
      ['drawing.created', expect.objectContaining({ id: drawing.id, version: 1, byteSize: Buffer.byteLength(JSON.stringify(strokes)) })],
      ['story.created', expect.objectContaining({ id: story.id })],
    ])
    expect(replayed[0]!.data).not.toHaveProperty('strokes')
  })

  it('carries project and child events to collaborators after each commit; others may not subscribe', async () => {
    const [ada, vi, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vi, 'viewer')
    const room = `project:${project.id}`
    const watcher = await connect(vi)
    expect(await watcher.subscribe(room)).toMatchObject({ type: 'subscribed', room })
    const outsider = await connect(stranger)
    expect(await outsider.subscribe(room)).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    expect(await outsider.subscribe('project:not-a-uuid')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })

    const story = await addChild(app(), ada, project.id, 'stories', { text: 'hello' })
    // A refused write publishes nothing: the next event is the patch that commits.
    expect((await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'stale', version: 7 })).statusCode).toBe(409)
    await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'again', version: 1 })
    await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'Renamed', version: 1 })
    await call(app(), ada, 'DELETE', `/api/stories/${story.id}`)
    const events = await watcher.events(room, 4)
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['story.created', expect.objectContaining({ id: story.id, text: 'hello', version: 1 })],
      ['story.updated', expect.objectContaining({ id: story.id, text: 'again', version: 2 })],
      ['project.updated', expect.objectContaining({ id: project.id, title: 'Renamed', version: 2 })],
      ['story.deleted', { id: story.id, projectId: project.id }],
    ])
    expect(events[2]!.data).not.toHaveProperty('role')
  })
})

describe('colorbook.purge-trash', () => {
  it('purges projects trashed more than 30 days ago, leaving newer trash and a tombstone in the sync log', async () => {
    const ada = await loginAs(app())
    const [old, recent] = [await createProject(app(), ada), await createProject(app(), ada)]
    await addChild(app(), ada, old.id, 'stories')
    await setProject(app(), old.id, { trashedAt: new Date(Date.now() - 31 * 86_400_000) })
    await setProject(app(), recent.id, { trashedAt: new Date(Date.now() - 29 * 86_400_000) })
    const job = purgeTrashJob(api)
    expect(job.schedule?.cron).toBe('41 3 * * *')
    const context = { id: 'j', name: job.name, attempt: 1, maxAttempts: 3, log: app().log, signal: new AbortController().signal } satisfies JobContext
    await job.handle({}, context)
    await job.handle({}, context)
    expect(await storedProject(app(), old.id)).toBeUndefined()
    expect(await storedProject(app(), recent.id)).toBeDefined()
    expect((await storedChanges(app(), old.id)).filter((c) => c.entity === 'project').map((c) => c.op)).toEqual(['create', 'delete'])
  })
})
