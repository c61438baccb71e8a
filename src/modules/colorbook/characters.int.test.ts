import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, setProject, share, storedChanges, storedImages } from '../../../test/helpers/colorbook.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { storedCharacters as charactersOf, storedStyles as stylesOf } from '../../../test/helpers/colorbook-templates.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined), modules: availableModules })

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

async function myFile(user: TestUser): Promise<string> {
  const upload = await uploadFile(app(), user, { content: await image('png', 8, 8), filename: 'ref.png' })
  expect(upload.statusCode, upload.body).toBe(201)
  return upload.json().id as string
}

async function add(user: TestUser, projectId: string, path: 'characters' | 'style-presets', body: Record<string, unknown>) {
  const response = await call(app(), user, 'POST', `/api/projects/${projectId}/${path}`, body)
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; version: number; [key: string]: unknown }>()
}

const storedCharacters = (projectId: string) => charactersOf(app(), projectId)
const storedStyles = (projectId: string) => stylesOf(app(), projectId)

describe('characters', () => {
  it('adds with the caller’s reference files, lists, reads, replaces at the version (409/412 stale), deletes', async () => {
    const [ada, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    const [ref, ref2, bobs] = await Promise.all([myFile(ada), myFile(ada), myFile(bob)])
    const daisy = await add(ada, project.id, 'characters', { name: ' Daisy ', description: ' A cow ', referenceFileIds: [ref, ref] })
    expect(daisy).toMatchObject({ projectId: project.id, name: 'Daisy', description: 'A cow', referenceFileIds: [ref], version: 1 })
    const refused = expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/characters`, { name: 'Thief', referenceFileIds: [ref, bobs] }), 422, 'COLORBOOK_FILE_INVALID')
    expect(refused.details).toEqual({ referenceFileIds: [bobs] })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/characters`, { name: 'X', age: 3 }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/characters`, { name: ' ' }), 400, 'VALIDATION_FAILED')
    expect((await call(app(), ada, 'GET', `/api/projects/${project.id}/characters`)).json().items.map((c: { id: string }) => c.id)).toEqual([daisy.id])
    const got = await call(app(), ada, 'GET', `/api/characters/${daisy.id}`)
    expect(got.headers.etag).toBe('"1"')

    const put = await call(app(), ada, 'PUT', `/api/characters/${daisy.id}`, { name: 'Daisy II', referenceFileIds: [ref2], version: 1 })
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json()).toMatchObject({ name: 'Daisy II', description: null, referenceFileIds: [ref2], version: 2 })
    expect(expectError(await call(app(), ada, 'PUT', `/api/characters/${daisy.id}`, { name: 'Lost', version: 1 }), 409, 'VERSION_CONFLICT').details.current).toMatchObject({ version: 2 })
    expectError(await call(app(), ada, 'PUT', `/api/characters/${daisy.id}`, { name: 'Lost' }, { 'if-match': '"1"' }), 412, 'PRECONDITION_FAILED')
    expectError(await call(app(), ada, 'PUT', `/api/characters/${daisy.id}`, { name: 'Lost' }), 400, 'VALIDATION_FAILED')
    expect(await storedCharacters(project.id)).toEqual([expect.objectContaining({ name: 'Daisy II', version: 2 })])

    expect((await call(app(), ada, 'DELETE', `/api/characters/${daisy.id}`)).statusCode).toBe(204)
    expectError(await call(app(), ada, 'GET', `/api/characters/${daisy.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'DELETE', `/api/characters/${daisy.id}`), 404, 'NOT_FOUND')
    expect(await storedCharacters(project.id)).toEqual([])
  })

  it('keeps an editor’s reference files when another collaborator replaces the character; refuses viewers (403), strangers (404), the trash (409)', async () => {
    const [ada, ed, vi, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    await share(app(), project.id, vi, 'viewer')
    const edsFile = await myFile(ed)
    const hero = await add(ed, project.id, 'characters', { name: 'Hero', referenceFileIds: [edsFile] })
    // The owner keeps the editor's file (already the character's), and the viewer may read it.
    expect((await call(app(), ada, 'PUT', `/api/characters/${hero.id}`, { name: 'Hero', referenceFileIds: [edsFile], version: 1 })).statusCode).toBe(200)
    expect((await call(app(), vi, 'GET', `/api/files/${edsFile}`)).statusCode).toBe(200)
    expectError(await call(app(), stranger, 'GET', `/api/files/${edsFile}`), 404, 'NOT_FOUND')
    expect((await call(app(), vi, 'GET', `/api/characters/${hero.id}`)).statusCode).toBe(200)
    expectError(await call(app(), vi, 'POST', `/api/projects/${project.id}/characters`, { name: 'No' }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'PUT', `/api/characters/${hero.id}`, { name: 'No', version: 2 }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'DELETE', `/api/characters/${hero.id}`), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), stranger, 'GET', `/api/characters/${hero.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'GET', `/api/projects/${project.id}/characters`), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'DELETE', `/api/characters/${hero.id}`), 404, 'NOT_FOUND')
    await setProject(app(), project.id, { trashedAt: new Date() })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/characters`, { name: 'No' }), 409, 'COLORBOOK_PROJECT_TRASHED')
    expectError(await call(app(), ada, 'DELETE', `/api/characters/${hero.id}`), 409, 'COLORBOOK_PROJECT_TRASHED')
    expect(await storedCharacters(project.id)).toEqual([expect.objectContaining({ name: 'Hero', version: 2 })])
    expectError(await call(app(), ada, 'GET', `/api/characters/${randomUUID()}`), 404, 'NOT_FOUND')
  })

  it('leaves the images that showed a deleted character (each a new version, logged and published)', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const [a, b] = [await add(ada, project.id, 'characters', { name: 'A' }), await add(ada, project.id, 'characters', { name: 'B' })]
    const shows = await addChild(app(), ada, project.id, 'images', { fileId: await myFile(ada), characterIds: [a.id, b.id] })
    const other = await addChild(app(), ada, project.id, 'images', { fileId: await myFile(ada), characterIds: [b.id] })
    const socket = await watch(ada, project.id)
    expect((await call(app(), ada, 'DELETE', `/api/characters/${a.id}`)).statusCode).toBe(204)
    expect(await storedImages(app(), project.id)).toEqual([expect.objectContaining({ id: shows.id, characterIds: [b.id], version: 2 }), expect.objectContaining({ id: other.id, characterIds: [b.id], version: 1 })])
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'image' && c.op === 'update')).toEqual([{ entity: 'image', entityId: shows.id, op: 'update', version: 2 }])
    const events = await socket.events(`project:${project.id}`, 2)
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['image.updated', expect.objectContaining({ id: shows.id, characterIds: [b.id], version: 2 })],
      ['character.deleted', { id: a.id, projectId: project.id }],
    ])
  })
})

describe('style presets', () => {
  it('adds, lists, replaces and deletes; palettes are #rrggbb (stored in lower case), line weight above 0', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const socket = await watch(ada, project.id)
    const bold = await add(ada, project.id, 'style-presets', { name: 'Bold', promptFragment: 'thick lines', palette: ['#AABBCC', '#000000'], lineWeight: 2.5 })
    expect(bold).toMatchObject({ name: 'Bold', promptFragment: 'thick lines', palette: ['#aabbcc', '#000000'], lineWeight: 2.5, version: 1 })
    for (const bad of [{ name: 'x', palette: ['red'] }, { name: 'x', palette: ['#abc'] }, { name: 'x', lineWeight: 0 }, { name: 'x', lineWeight: 51 }, { name: 'x', extra: 1 }]) {
      expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/style-presets`, bad), 400, 'VALIDATION_FAILED')
    }
    expect((await call(app(), ada, 'GET', `/api/projects/${project.id}/style-presets`)).json().items).toEqual([expect.objectContaining({ id: bold.id })])
    expect((await call(app(), ada, 'GET', `/api/style-presets/${bold.id}`)).json()).toMatchObject({ name: 'Bold' })
    const put = await call(app(), ada, 'PUT', `/api/style-presets/${bold.id}`, { name: 'Thin' }, { 'if-match': '"1"' })
    expect(put.json()).toMatchObject({ name: 'Thin', promptFragment: null, palette: [], lineWeight: null, version: 2 })
    expectError(await call(app(), ada, 'PUT', `/api/style-presets/${bold.id}`, { name: 'Lost', version: 1 }), 409, 'VERSION_CONFLICT')
    expect(await storedStyles(project.id)).toEqual([expect.objectContaining({ name: 'Thin', palette: [], version: 2 })])
    const events = await socket.events(`project:${project.id}`, 2)
    expect(events.map((e) => e.event)).toEqual(['style.created', 'style.updated'])
  })

  it('lets images record the style; deleting it clears their styleId with a new version', async () => {
    const [ada, vi] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    const other = await createProject(app(), ada)
    await share(app(), project.id, vi, 'viewer')
    const style = await add(ada, project.id, 'style-presets', { name: 'Soft' })
    const foreign = await add(ada, other.id, 'style-presets', { name: 'Elsewhere' })
    const img = await addChild(app(), ada, project.id, 'images', { fileId: await myFile(ada), styleId: style.id })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/images`, { fileId: await myFile(ada), styleId: foreign.id }), 422, 'COLORBOOK_REFERENCE_INVALID')
    expectError(await call(app(), vi, 'DELETE', `/api/style-presets/${style.id}`), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'PUT', `/api/style-presets/${style.id}`, { name: 'No', version: 1 }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'POST', `/api/projects/${project.id}/style-presets`, { name: 'No' }), 403, 'COLORBOOK_READ_ONLY')
    expect((await call(app(), ada, 'DELETE', `/api/style-presets/${style.id}`)).statusCode).toBe(204)
    expect(await storedImages(app(), project.id)).toEqual([expect.objectContaining({ id: img.id, styleId: null, version: 2 })])
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'image')).toEqual([
      { entity: 'image', entityId: img.id, op: 'create', version: 1 },
      { entity: 'image', entityId: img.id, op: 'update', version: 2 },
    ])
    expect(await storedStyles(project.id)).toEqual([])
    expectError(await call(app(), ada, 'GET', `/api/style-presets/${style.id}`), 404, 'NOT_FOUND')
  })
})
