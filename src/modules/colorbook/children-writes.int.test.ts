import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, storedChanges, storedDrawings, storedStories } from '../../../test/helpers/colorbook.js'
import { changeLog, holdProjectLock, lockWaiter } from '../../../test/helpers/colorbook-locks.js'
import { queriesSoFar } from '../../../test/helpers/database.js'
import { expectError } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { DrawingView } from './child.view.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

async function watch(user: TestUser, projectId: string): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(`project:${projectId}`)).toMatchObject({ type: 'subscribed' })
  return socket
}

// Numbers JSON writes in more than one way (1e-7, 999999.5, negatives): stored as the JSON text written (json), answered as it is.
const strokes = [
  { points: [[0, 0], [10.5, -20.25], [1e-7, 999999.5]], width: 2.5, color: '#1f2937', tool: 'pen' },
  { points: [[3, 4]], width: 1 },
]
const redrawn = [{ points: [[-1, -2], [0.125, 3]], width: 4, tool: 'brush' }]
const drawingKeys = Object.keys(DrawingView.properties).sort()

/** A drawing answer: JSON with exactly the view's fields, an ETag of its version. */
function drawingAnswer(response: { statusCode: number; body: string; headers: Record<string, unknown> }, status = 200): Record<string, unknown> {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
  const view = JSON.parse(response.body) as Record<string, unknown>
  expect(Object.keys(view).sort()).toEqual(drawingKeys)
  expect(response.headers.etag).toBe(`"${view.version as number}"`)
  return view
}

describe('drawing answers (strokes passed through as stored JSON)', () => {
  it('answers the same drawing from every route, with the strokes as stored, and publishes each write without them', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const socket = await watch(ada, project.id)

    const created = drawingAnswer(await call(app(), ada, 'POST', `/api/projects/${project.id}/drawings`, { title: 'Fox', strokes }), 201)
    expect(created).toMatchObject({ projectId: project.id, title: 'Fox', strokes, byteSize: Buffer.byteLength(JSON.stringify(strokes)), previewFileId: null, previewUrl: null, version: 1, position: 0 })
    expect(drawingAnswer(await call(app(), ada, 'GET', `/api/drawings/${created.id as string}`))).toEqual(created)
    const list = await call(app(), ada, 'GET', `/api/projects/${project.id}/drawings`)
    expect(list.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(list.json()).toEqual({ items: [created] })
    const whole = await call(app(), ada, 'GET', `/api/projects/${project.id}?include=stories,drawings`)
    expect(whole.statusCode, whole.body).toBe(200)
    expect(whole.headers.etag).toBe('"1"')
    expect(whole.json()).toEqual({ ...(await call(app(), ada, 'GET', `/api/projects/${project.id}`)).json(), stories: [], drawings: [created] })

    // Only the title: the strokes come back from the database.
    const renamed = drawingAnswer(await call(app(), ada, 'PATCH', `/api/drawings/${created.id as string}`, { title: 'Fox 2', version: 1 }))
    expect(renamed).toMatchObject({ title: 'Fox 2', strokes, version: 2 })
    const replaced = drawingAnswer(await call(app(), ada, 'PUT', `/api/drawings/${created.id as string}`, { strokes: redrawn }, { 'if-match': '"2"' }))
    expect(replaced).toMatchObject({ title: null, strokes: redrawn, byteSize: Buffer.byteLength(JSON.stringify(redrawn)), version: 3 })
    expect(await storedDrawings(app(), project.id)).toEqual([expect.objectContaining({ id: created.id, strokes: redrawn, version: 3 })])

    // A stale write carries the current drawing, strokes included.
    const stale = expectError(await call(app(), ada, 'PATCH', `/api/drawings/${created.id as string}`, { title: 'lost', version: 2 }), 409, 'VERSION_CONFLICT')
    expect(stale.details.current).toEqual(replaced)

    // Events leave the strokes out (up to 5 MiB each); version and byteSize say when to GET the drawing.
    const withoutStrokes = ({ strokes: _strokes, ...rest }: Record<string, unknown>) => rest
    const events = await socket.events(`project:${project.id}`, 3)
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['drawing.created', withoutStrokes(created)],
      ['drawing.updated', withoutStrokes(renamed)],
      ['drawing.updated', withoutStrokes(replaced)],
    ])
  })

  it('answers a project with many drawings as valid JSON, in order', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const added = []
    for (let i = 0; i < 5; i++) added.push(await addChild(app(), ada, project.id, 'drawings', { title: i % 2 ? null : `Page "${i}" \u2014 ✏️`, strokes: i === 3 ? [] : strokes }))
    const whole = await call(app(), ada, 'GET', `/api/projects/${project.id}?include=drawings`)
    expect(whole.statusCode, whole.body).toBe(200)
    expect(whole.json().drawings).toEqual(added)
  })
})

describe('child writes and the project lock', () => {
  it('edits a story in one statement: the story, its log row, the project’s time and the event, as the transactional path does', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { title: 'Fox', text: 'draft' })
    const socket = await watch(ada, project.id)
    const queries = () => queriesSoFar(app())

    let before = queries()
    expect((await call(app(), ada, 'GET', `/api/stories/${story.id}`)).statusCode).toBe(200)
    const read = queries() - before // the story and the access check, after authentication
    before = queries()
    const patched = await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'final', version: 1 })
    const patch = queries() - before

    expect(patched.statusCode, patched.body).toBe(200)
    expect(patch).toBeLessThan(read)
    expect(patched.json()).toMatchObject({ id: story.id, title: 'Fox', text: 'final', version: 2 })
    // PUT replaces: the title goes back to null.
    const replaced = await call(app(), ada, 'PUT', `/api/stories/${story.id}`, { text: 'again' }, { 'if-match': '"2"' })
    expect(replaced.json()).toMatchObject({ title: null, text: 'again', version: 3 })
    expect(await storedStories(app(), project.id)).toEqual([expect.objectContaining({ title: null, text: 'again', version: 3 })])
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'story').map((c) => [c.op, c.version])).toEqual([['create', 1], ['update', 2], ['update', 3]])
    const touched = await call(app(), ada, 'GET', `/api/projects/${project.id}`)
    expect(touched.json<{ updatedAt: string }>().updatedAt).toBe(replaced.json<{ updatedAt: string }>().updatedAt)
    const events = await socket.events(`project:${project.id}`, 2)
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['story.updated', patched.json()],
      ['story.updated', replaced.json()],
    ])
    // Refused as before: a stale version (with the current story), a stale If-Match.
    expect(expectError(await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'late', version: 1 }), 409, 'VERSION_CONFLICT').details.current).toMatchObject({ version: 3 })
    expectError(await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'late' }, { 'if-match': '"2"' }), 412, 'PRECONDITION_FAILED')
  })

  it('waits for the project’s lock before writing, so writes of one project reach the log in commit order', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const [first, second] = [await addChild(app(), ada, project.id, 'stories', { text: 'one' }), await addChild(app(), ada, project.id, 'stories', { text: 'two' })]
    const held = await holdProjectLock(app(), project.id)
    let answered = false
    const patch = call(app(), ada, 'PATCH', `/api/stories/${second.id}`, { text: 'two, edited', version: 1 }).finally(() => (answered = true))
    await lockWaiter(app())
    expect(answered).toBe(false)
    // The holder writes too, and commits first.
    await held.release((tx) => tx.logChange(project.id, first.id, 'update', 2))
    expect((await patch).statusCode).toBe(200)
    const log = (await changeLog(app(), project.id)).filter((row) => row.op === 'update')
    expect(log.map((row) => row.entityId)).toEqual([first.id, second.id])
    expect(BigInt(log[1]!.tx)).toBeGreaterThan(BigInt(held.txId))
  })

  it('refuses a write whose row changed after it was read, before the lock was taken: 409 with the current record, nothing logged', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'draft' })
    const held = await holdProjectLock(app(), project.id)
    // Reads the story at version 1, then waits for the lock…
    const patch = call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'mine', version: 1 })
    await lockWaiter(app())
    // …while the holder changes it to version 2.
    await held.release((tx) => tx.setStory(story.id, 'theirs', 2))
    const refused = expectError(await patch, 409, 'VERSION_CONFLICT')
    expect(refused.details.current).toMatchObject({ id: story.id, text: 'theirs', version: 2 })
    expect(await storedStories(app(), project.id)).toEqual([expect.objectContaining({ text: 'theirs', version: 2 })])
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'story').map((c) => [c.op, c.version])).toEqual([['create', 1]])
  })
})
