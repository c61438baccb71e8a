import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, share, storedChanges, storedDrawings, storedImages, storedProject, storedStories } from '../../../test/helpers/colorbook.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

async function myFile(user: TestUser): Promise<string> {
  const upload = await uploadFile(app(), user, { content: await image('png', 8, 8), filename: 'page.png' })
  expect(upload.statusCode, upload.body).toBe(201)
  return upload.json().id as string
}

describe('stories', () => {
  it('adds in order, reads, changes at the version (409/412 stale), deletes, logging each change and touching the project', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const first = await addChild(app(), ada, project.id, 'stories', { title: ' Once ', text: 'upon a time' })
    const second = await addChild(app(), ada, project.id, 'stories', {})
    expect(first).toMatchObject({ projectId: project.id, title: 'Once', text: 'upon a time', position: 0, version: 1 })
    expect(second).toMatchObject({ title: null, text: '', position: 1 })
    expect((await call(app(), ada, 'GET', `/api/projects/${project.id}/stories`)).json().items.map((s: { id: string }) => s.id)).toEqual([first.id, second.id])
    expect((await call(app(), ada, 'GET', `/api/stories/${first.id}`)).headers.etag).toBe('"1"')

    const patched = await call(app(), ada, 'PATCH', `/api/stories/${first.id}`, { text: 'again', version: 1 })
    expect(patched.json()).toMatchObject({ title: 'Once', text: 'again', version: 2 })
    expect(expectError(await call(app(), ada, 'PATCH', `/api/stories/${first.id}`, { text: 'lost', version: 1 }), 409, 'VERSION_CONFLICT').details.current).toMatchObject({ text: 'again', version: 2 })
    expectError(await call(app(), ada, 'PUT', `/api/stories/${first.id}`, { text: 'lost' }, { 'if-match': '"1"' }), 412, 'PRECONDITION_FAILED')
    const put = await call(app(), ada, 'PUT', `/api/stories/${first.id}`, { text: 'replaced' }, { 'if-match': '"2"' })
    expect(put.json()).toMatchObject({ title: null, text: 'replaced', position: 0, version: 3 })

    expect((await call(app(), ada, 'DELETE', `/api/stories/${second.id}`)).statusCode).toBe(204)
    expectError(await call(app(), ada, 'GET', `/api/stories/${second.id}`), 404, 'NOT_FOUND')
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'story').map((c) => [c.entityId === first.id ? 'first' : 'second', c.op, c.version])).toEqual([
      ['first', 'create', 1],
      ['second', 'create', 1],
      ['first', 'update', 2],
      ['first', 'update', 3],
      ['second', 'delete', 2],
    ])
    const stored = await storedProject(app(), project.id)
    expect(stored!.version).toBe(1)
    expect(stored!.updatedAt.getTime()).toBeGreaterThan(new Date(project.updatedAt as string).getTime())
  })

  it('refuses a text over 50,000 characters and unknown fields (400), storing nothing', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/stories`, { text: 'x'.repeat(50_001) }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/stories`, { body: 'x' }), 400, 'VALIDATION_FAILED')
    expect(await addChild(app(), ada, project.id, 'stories', { text: 'x'.repeat(50_000) })).toMatchObject({ version: 1 })
    expect(await storedStories(app(), project.id)).toHaveLength(1)
  })

  it('lets an editor write, a viewer only read (403), and nobody else see anything (404)', async () => {
    const [ada, ed, vi, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    await share(app(), project.id, vi, 'viewer')
    const story = await addChild(app(), ed, project.id, 'stories', { text: 'by the editor' })
    expect((await call(app(), vi, 'GET', `/api/stories/${story.id}`)).statusCode).toBe(200)
    expectError(await call(app(), vi, 'POST', `/api/projects/${project.id}/stories`, { text: 'no' }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'PATCH', `/api/stories/${story.id}`, { text: 'no', version: 1 }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'DELETE', `/api/stories/${story.id}`), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), stranger, 'GET', `/api/stories/${story.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'GET', `/api/projects/${project.id}/stories`), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'DELETE', `/api/stories/${story.id}`), 404, 'NOT_FOUND')
    expect(await storedStories(app(), project.id)).toEqual([expect.objectContaining({ text: 'by the editor', version: 1 })])
  })
})

describe('images', () => {
  it('takes one of the caller’s files and the project’s own story; refuses others’ files and foreign stories (422)', async () => {
    const [ada, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    const other = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', {})
    const foreign = await addChild(app(), ada, other.id, 'stories', {})
    const fileId = await myFile(ada)
    const img = await addChild(app(), ada, project.id, 'images', { fileId, storyId: story.id, kind: 'generated', prompt: 'a fox', provider: 'openai', model: 'gpt-image-1', width: 1024, height: 1024 })
    expect(img).toMatchObject({ fileId, storyId: story.id, kind: 'generated', prompt: 'a fox', width: 1024, styleId: null, characterIds: [], position: 0 })

    const bobsFile = await myFile(bob)
    expect(expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/images`, { fileId: bobsFile }), 422, 'COLORBOOK_FILE_INVALID').details).toEqual({ fileId: bobsFile })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/images`, { fileId, storyId: foreign.id }), 422, 'COLORBOOK_REFERENCE_INVALID')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/images`, {}), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'PATCH', `/api/images/${img.id}`, { fileId: bobsFile, version: 1 }), 422, 'COLORBOOK_FILE_INVALID')
    expect(await storedImages(app(), project.id)).toEqual([expect.objectContaining({ id: img.id, fileId, version: 1 })])
  })

  it('lets the project’s collaborators read its files, and nobody else', async () => {
    const [ada, vi, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    const fileId = await myFile(ada)
    await addChild(app(), ada, project.id, 'images', { fileId })
    expectError(await call(app(), vi, 'GET', `/api/files/${fileId}`), 404, 'NOT_FOUND')
    await share(app(), project.id, vi, 'viewer')
    expect((await call(app(), vi, 'GET', `/api/files/${fileId}`)).statusCode).toBe(200)
    expectError(await call(app(), stranger, 'GET', `/api/files/${fileId}`), 404, 'NOT_FOUND')
  })
})

describe('drawings', () => {
  it('stores validated strokes with their size; refuses malformed strokes (400) and more than 5 MiB (413)', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const strokes = [{ points: [[0, 0], [10.5, 20]], width: 3, color: '#ff0000', tool: 'pen' }]
    const drawing = await addChild(app(), ada, project.id, 'drawings', { strokes })
    expect(drawing).toMatchObject({ strokes, byteSize: Buffer.byteLength(JSON.stringify(strokes)), previewFileId: null })
    for (const bad of [[{ points: [[0]], width: 1 }], [{ points: [[0, 0]], width: 0 }], [{ points: [[0, 0]], width: 1, pressure: 2 }], [{ points: [], width: 1 }], 'strokes']) {
      expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/drawings`, { strokes: bad }), 400, 'VALIDATION_FAILED')
    }
    // About 5.3 MiB of strokes as JSON, in a body the drawing routes accept.
    const big = Array.from({ length: 260 }, () => ({ points: Array.from({ length: 1000 }, (_, i) => [i + 0.123456, i + 0.654321]), width: 1 }))
    const refused = expectError(await call(app(), ada, 'PUT', `/api/drawings/${drawing.id}`, { strokes: big, version: 1 }), 413, 'COLORBOOK_DRAWING_TOO_LARGE')
    expect(refused.details.maxBytes).toBe(5 * 1024 * 1024)
    expect(await storedDrawings(app(), project.id)).toEqual([expect.objectContaining({ version: 1, strokes })])
  })
})

describe('PATCH of a child', () => {
  it('moves it with `position`, and with only `version` changes nothing (no new version, no log row)', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const drawing = await addChild(app(), ada, project.id, 'drawings', { title: 'Cat' })
    const moved = await call(app(), ada, 'PATCH', `/api/drawings/${drawing.id}`, { position: 7, version: 1 })
    expect(moved.json()).toMatchObject({ title: 'Cat', position: 7, version: 2 })
    const same = await call(app(), ada, 'PATCH', `/api/drawings/${drawing.id}`, { version: 2 })
    expect(same.json()).toMatchObject({ position: 7, version: 2 })
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'drawing').map((c) => c.version)).toEqual([1, 2])
    const noop = await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { version: 1 })
    expect(noop.json()).toMatchObject({ version: 1 })
  })
})

describe('PUT /api/projects/:id/order', () => {
  it('reorders whole lists, new versions for what moved; refuses a list that is not every item once (422)', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const [a, b, c] = [await addChild(app(), ada, project.id, 'stories'), await addChild(app(), ada, project.id, 'stories'), await addChild(app(), ada, project.id, 'stories')]
    const response = await call(app(), ada, 'PUT', `/api/projects/${project.id}/order`, { stories: [c.id, a.id, b.id] })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().stories.map((s: { id: string; position: number; version: number }) => [s.id, s.position, s.version])).toEqual([
      [c.id, 0, 2],
      [a.id, 1, 2],
      [b.id, 2, 2],
    ])
    const invalid = expectError(await call(app(), ada, 'PUT', `/api/projects/${project.id}/order`, { stories: [c.id, c.id, a.id] }), 422, 'COLORBOOK_ORDER_INVALID')
    expect(invalid.details).toEqual({ kind: 'stories', repeated: [c.id], unknown: [], missing: [b.id] })
    expectError(await call(app(), ada, 'PUT', `/api/projects/${project.id}/order`, {}), 400, 'VALIDATION_FAILED')
    expect((await storedStories(app(), project.id)).map((s) => s.id)).toEqual([c.id, a.id, b.id])
  })
})
