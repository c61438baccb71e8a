import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, share, storedChanges, storedDrawings, storedImages } from '../../../test/helpers/colorbook.js'
import { fillQuota } from '../../../test/helpers/colorbook-exports.js'
import { elfExecutable, image, multipartBody, uploadFile, type FilePart } from '../../../test/helpers/files.js'
import { expectError, waitFor } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'

const MAX_UPLOAD = 200_000
const app = useTestApp({
  env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD), JOBS_POLL_INTERVAL_MS: '500' },
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

type Part = FilePart | { field: string; value: string }
const png = (width = 40, height = 30) => image('png', width, height)

async function postForm(user: TestUser, projectId: string, ...parts: Part[]) {
  const { payload, headers } = await multipartBody(...parts)
  return app().inject({ method: 'POST', url: `/api/projects/${projectId}/images`, headers: { ...headers, ...user.headers }, payload })
}

const putPreview = (user: TestUser, drawingId: string, payload: Buffer | string, type = 'image/png', headers: Record<string, string> = {}) =>
  app().inject({ method: 'PUT', url: `/api/drawings/${drawingId}/preview`, headers: { ...user.headers, 'content-type': type, ...headers }, payload })

/** The user's files and stored bytes, as GET /api/files and /api/files/usage say. */
async function filesOf(user: TestUser) {
  const list = (await call(app(), user, 'GET', '/api/files')).json<{ items: { id: string; ownerId: string; contentType: string }[] }>().items
  const usage = (await call(app(), user, 'GET', '/api/files/usage')).json<{ bytesUsed: number; files: number }>()
  return { ids: list.map((file) => file.id), bytesUsed: usage.bytesUsed, files: usage.files }
}
const nothingStored = { ids: [], bytesUsed: 0, files: 0 }

async function connect(user: TestUser, room: string): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed', room })
  return socket
}

describe('POST /api/projects/:id/images as multipart/form-data', () => {
  it('stores the image as the uploader’s file and the image row naming it, with the form’s fields and the image’s own size', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', {})
    const bytes = await png(40, 30)
    const response = await postForm(
      ada,
      project.id,
      { field: 'kind', value: 'generated' },
      { field: 'prompt', value: 'a fox asleep' },
      { field: 'provider', value: ' openai ' },
      { field: 'storyId', value: story.id },
      { field: 'position', value: '4' },
      { content: bytes, filename: 'fox.png', type: 'application/octet-stream' },
    )
    expect(response.statusCode, response.body).toBe(201)
    const view = response.json()
    expect(view).toMatchObject({ projectId: project.id, kind: 'generated', prompt: 'a fox asleep', provider: 'openai', storyId: story.id, position: 4, width: 40, height: 30, version: 1, characterIds: [] })
    expect(response.headers.etag).toBe('"1"')
    const file = (await call(app(), ada, 'GET', `/api/files/${view.fileId}`)).json()
    expect(file).toMatchObject({ ownerId: ada.id, name: 'fox.png', contentType: 'image/png', size: bytes.length })
    expect(file.thumbnail).not.toBeNull()
    const content = await call(app(), ada, 'GET', `/api/files/${view.fileId}/content`)
    expect(content.rawPayload.equals(bytes)).toBe(true)
    expect(await storedImages(app(), project.id)).toEqual([expect.objectContaining({ id: view.id, fileId: view.fileId, width: 40, height: 30 })])
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'image')).toEqual([{ entity: 'image', entityId: view.id, op: 'create', version: 1 }])
  })

  it('lets an editor upload (the file is the editor’s), keeps a size the client gives and takes characterIds once per id', async () => {
    const [ada, ed] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    const characters = await Promise.all(['Fox', 'Owl'].map(async (name) => (await call(app(), ada, 'POST', `/api/projects/${project.id}/characters`, { name })).json<{ id: string }>().id))
    const response = await postForm(
      ed,
      project.id,
      { content: await image('webp', 20, 10), filename: 'page.webp' },
      { field: 'width', value: '2000' },
      { field: 'characterIds', value: characters[0]! },
      { field: 'characterIds', value: characters[1]! },
    )
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toMatchObject({ kind: 'uploaded', width: 2000, height: null, characterIds: characters })
    expect((await filesOf(ed)).ids).toEqual([response.json().fileId])
    expect(await filesOf(ada)).toEqual(nothingStored)
  })

  it('refuses a viewer (403) and another user’s project (404) before storing anything', async () => {
    const [ada, vi, eve] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vi, 'viewer')
    const part = { content: await png(), filename: 'page.png' }
    expectError(await postForm(vi, project.id, part), 403, 'COLORBOOK_READ_ONLY')
    expectError(await postForm(eve, project.id, part), 404, 'NOT_FOUND')
    expectError(await postForm(eve, '00000000-0000-7000-8000-000000000000', part), 404, 'NOT_FOUND')
    expect(await filesOf(vi)).toEqual(nothingStored)
    expect(await filesOf(eve)).toEqual(nothingStored)
    expect(await storedImages(app(), project.id)).toEqual([])
  })

  it('refuses what is not an image with the platform’s 415 FILE_TYPE_NOT_ALLOWED, whatever its name and type say', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')
    expect(expectError(await postForm(ada, project.id, { content: pdf, filename: 'page.png', type: 'image/png' }), 415, 'FILE_TYPE_NOT_ALLOWED').details).toMatchObject({ detected: 'application/pdf' })
    expectError(await postForm(ada, project.id, { content: 'just some text\n', filename: 'page.png' }), 415, 'FILE_TYPE_NOT_ALLOWED')
    expectError(await postForm(ada, project.id, { content: elfExecutable(), filename: 'page.png' }), 415, 'FILE_TYPE_NOT_ALLOWED')
    expect(await filesOf(ada)).toEqual(nothingStored)
    expect(await storedImages(app(), project.id)).toEqual([])
  })

  it('refuses a file past the storage quota or the upload limit with 413, keeping nothing', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const first = await uploadFile(app(), ada, { content: 'a note\n', filename: 'note.txt' })
    await fillQuota(app(), ada.id)
    const before = await filesOf(ada)
    expect(before.ids).toEqual([first.json().id])
    expectError(await postForm(ada, project.id, { content: await png(), filename: 'page.png' }), 413, 'STORAGE_QUOTA_EXCEEDED')
    expect(await filesOf(ada)).toEqual(before)

    const bob = await loginAs(app())
    const own = await createProject(app(), bob)
    const huge = Buffer.concat([await png(), Buffer.alloc(MAX_UPLOAD)])
    expectError(await postForm(bob, own.id, { content: huge, filename: 'huge.png' }), 413, 'FILE_TOO_LARGE')
    expect(await filesOf(bob)).toEqual(nothingStored)
    expect(await storedImages(app(), project.id)).toEqual([])
    expect(await storedImages(app(), own.id)).toEqual([])
  })

  it('refuses unknown, repeated or invalid fields and a form without exactly one file (400), keeping no file', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const file = { content: await png(), filename: 'page.png' }
    const refused = async (parts: Part[], details: Record<string, unknown>) => {
      expect(expectError(await postForm(ada, project.id, ...parts), 400, 'VALIDATION_FAILED').details).toEqual(details)
    }
    await refused([{ field: 'caption', value: 'x' }, file], { caption: 'is not allowed' })
    await refused([{ field: 'fileId', value: '00000000-0000-7000-8000-000000000000' }, file], { fileId: 'is not allowed' })
    await refused([{ field: 'kind', value: 'drawn' }, file], { kind: 'must be "generated" or "uploaded"' })
    await refused([{ field: 'position', value: 'first' }, file], { position: 'must be integer' })
    await refused([{ field: 'height', value: '1.5' }, file], { height: 'must be integer or null' })
    await refused([{ field: 'prompt', value: 'a' }, { field: 'prompt', value: 'b' }, file], { prompt: 'must be sent once' })
    // Fields after the file are checked too: the stored file goes again.
    await refused([file, { field: 'width', value: '0' }], { width: 'must be >= 1' })
    await refused([file, { ...file, filename: 'again.png' }], { file: 'must be sent once' })
    await refused([{ ...file, field: 'image' }], { image: 'is not allowed' })
    await refused([{ field: 'file', value: 'not a file' }], { file: 'must be a file part' })
    await refused([{ field: 'kind', value: 'generated' }], { file: 'is required' })
    expect(await filesOf(ada)).toEqual(nothingStored)
    expect(await storedImages(app(), project.id)).toEqual([])
  })

  it('deletes the uploaded file when the row is refused (a foreign story: 422), and still takes JSON with a fileId', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const other = await createProject(app(), ada)
    const foreign = await addChild(app(), ada, other.id, 'stories', {})
    const file = { content: await png(), filename: 'page.png' }
    expect(expectError(await postForm(ada, project.id, { field: 'storyId', value: foreign.id }, file), 422, 'COLORBOOK_REFERENCE_INVALID').details).toEqual({ storyId: foreign.id })
    expect(await filesOf(ada)).toEqual(nothingStored)

    const uploaded = (await uploadFile(app(), ada, file)).json<{ id: string }>().id
    const json = await call(app(), ada, 'POST', `/api/projects/${project.id}/images`, { fileId: uploaded })
    expect(json.statusCode, json.body).toBe(201)
    expect(json.json()).toMatchObject({ fileId: uploaded, width: null, height: null })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/images`, { fileId: uploaded, caption: 'x' }), 400, 'VALIDATION_FAILED')
    const text = await app().inject({ method: 'POST', url: `/api/projects/${project.id}/images`, headers: { ...ada.headers, 'content-type': 'text/plain' }, payload: 'hello' })
    expect(expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE').details).toMatchObject({ accepted: ['application/json', 'multipart/form-data'] })
    expect((await storedImages(app(), project.id)).map((row) => row.fileId)).toEqual([uploaded])
  })

  it('puts an uploaded image in the PDF export', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'Uploaded' })
    expect((await postForm(ada, project.id, { content: await image('jpeg', 40, 30), filename: 'page.jpg' })).statusCode).toBe(201)
    const queued = await call(app(), ada, 'POST', `/api/projects/${project.id}/export`, { format: 'pdf' })
    expect(queued.statusCode, queued.body).toBe(202)
    const record = await waitFor(async () => {
      const view = (await call(app(), ada, 'GET', `/api/projects/${project.id}/exports/${queued.json().id}`)).json<{ status: string; file: { url: string } | null }>()
      return view.status === 'done' || view.status === 'failed' ? view : undefined
    }, 20_000)
    expect(record.status).toBe('done')
    const url = new URL(record.file!.url)
    const pdf = (await app().inject({ url: `${url.pathname}${url.search}` })).rawPayload.toString('latin1')
    expect(pdf.match(/\/Subtype \/Image/g)).toHaveLength(1)
  })
})

describe('PUT /api/drawings/:id/preview', () => {
  it('stores the image as the drawing’s preview: a new version, its URL readable by the project’s readers, logged and published', async () => {
    const [ada, vi] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vi, 'viewer')
    const drawing = await addChild(app(), ada, project.id, 'drawings', { title: 'Fox' })
    expect(drawing).toMatchObject({ previewFileId: null, previewUrl: null })
    const watcher = await connect(vi, `project:${project.id}`)
    const bytes = await image('webp', 30, 30)
    const response = await putPreview(ada, drawing.id, bytes, 'image/webp')
    expect(response.statusCode, response.body).toBe(200)
    const view = response.json()
    expect(view).toMatchObject({ id: drawing.id, title: 'Fox', version: 2, previewFileId: expect.any(String), previewUrl: `/api/files/${view.previewFileId}/content` })
    expect(response.headers.etag).toBe('"2"')
    // The viewer reads it through the URL the view gives.
    const content = await call(app(), vi, 'GET', view.previewUrl)
    expect(content.statusCode).toBe(200)
    expect(content.headers['content-type']).toBe('image/webp')
    expect(content.rawPayload.equals(bytes)).toBe(true)
    expect((await call(app(), ada, 'GET', `/api/files/${view.previewFileId}`)).json()).toMatchObject({ ownerId: ada.id, contentType: 'image/webp' })
    expect((await storedDrawings(app(), project.id))[0]).toMatchObject({ previewFileId: view.previewFileId, version: 2 })
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'drawing').map((c) => [c.op, c.version])).toEqual([
      ['create', 1],
      ['update', 2],
    ])
    const [updated] = await watcher.events(`project:${project.id}`, 1)
    expect(updated).toMatchObject({ event: 'drawing.updated', data: { id: drawing.id, version: 2, previewFileId: view.previewFileId, previewUrl: view.previewUrl } })
  })

  it('releases the replaced preview’s file, unless a copy of the drawing still names it', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const drawing = await addChild(app(), ada, project.id, 'drawings', {})
    const first = (await putPreview(ada, drawing.id, await png(10, 10))).json<{ previewFileId: string }>().previewFileId
    const second = await putPreview(ada, drawing.id, await png(12, 12), 'image/png', { 'if-match': '"2"' })
    expect(second.statusCode, second.body).toBe(200)
    expect(second.json()).toMatchObject({ version: 3 })
    expectError(await call(app(), ada, 'GET', `/api/files/${first}`), 404, 'NOT_FOUND')
    expect((await filesOf(ada)).ids).toEqual([second.json().previewFileId])

    // A duplicate's drawing shares the preview: replacing the original's keeps it for the copy.
    const copy = (await call(app(), ada, 'POST', `/api/projects/${project.id}/duplicate`, {})).json<{ id: string }>()
    const shared = second.json().previewFileId as string
    expect((await storedDrawings(app(), copy.id))[0]).toMatchObject({ previewFileId: shared })
    expect((await putPreview(ada, drawing.id, await png(14, 14))).statusCode).toBe(200)
    expect((await call(app(), ada, 'GET', `/api/files/${shared}`)).statusCode).toBe(200)
  })

  it('lets an editor set it; refuses a viewer (403), a stranger (404), a stale If-Match (412), non-images (415) and empty bodies (400), keeping nothing', async () => {
    const [ada, ed, vi, eve] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    await share(app(), project.id, vi, 'viewer')
    const drawing = await addChild(app(), ada, project.id, 'drawings', {})
    const bytes = await png()
    expectError(await putPreview(vi, drawing.id, bytes), 403, 'COLORBOOK_READ_ONLY')
    expectError(await putPreview(eve, drawing.id, bytes), 404, 'NOT_FOUND')
    expectError(await putPreview(ada, '00000000-0000-7000-8000-000000000000', bytes), 404, 'NOT_FOUND')
    expect(expectError(await putPreview(ed, drawing.id, bytes, 'image/png', { 'if-match': '"7"' }), 412, 'PRECONDITION_FAILED').details.current).toMatchObject({ id: drawing.id, version: 1 })
    expectError(await putPreview(ed, drawing.id, 'hello\n'), 415, 'FILE_TYPE_NOT_ALLOWED')
    expectError(await putPreview(ed, drawing.id, elfExecutable(), 'image/webp'), 415, 'FILE_TYPE_NOT_ALLOWED')
    expect(expectError(await putPreview(ed, drawing.id, JSON.stringify({ image: 'x' }), 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE').details).toMatchObject({ contentType: 'application/json' })
    expectError(await putPreview(ed, drawing.id, Buffer.concat([bytes, Buffer.alloc(MAX_UPLOAD)])), 413, 'FILE_TOO_LARGE')
    expectError(await putPreview(ed, drawing.id, Buffer.alloc(0)), 400, 'VALIDATION_FAILED')
    for (const user of [ed, vi, eve]) expect(await filesOf(user)).toEqual(nothingStored)
    expect((await storedDrawings(app(), project.id))[0]).toMatchObject({ previewFileId: null, version: 1 })

    const set = await putPreview(ed, drawing.id, bytes)
    expect(set.statusCode, set.body).toBe(200)
    expect((await filesOf(ed)).ids).toEqual([set.json().previewFileId])
  })
})

describe('the OpenAPI document', () => {
  it('shows both bodies of POST …/images and the image bodies of PUT …/preview', async () => {
    const document = (await app().inject({ url: '/openapi.json' })).json()
    const images = document.paths['/api/projects/{id}/images'].post
    expect(Object.keys(images.requestBody.content)).toEqual(['application/json', 'multipart/form-data'])
    expect(images.requestBody.content['application/json'].schema.required).toEqual(['fileId'])
    const form = images.requestBody.content['multipart/form-data'].schema
    expect(form.required).toEqual(['file'])
    expect(form.properties.file).toMatchObject({ type: 'string', format: 'binary' })
    expect(form.properties).not.toHaveProperty('fileId')
    expect(form.properties).toHaveProperty('characterIds')
    const preview = document.paths['/api/drawings/{id}/preview'].put
    expect(Object.keys(preview.requestBody.content)).toEqual(['image/png', 'image/webp', 'image/jpeg', 'image/gif', 'image/avif'])
    expect(Object.keys(preview.responses)).toEqual(expect.arrayContaining(['200', '412', '413', '415']))
  })
})
