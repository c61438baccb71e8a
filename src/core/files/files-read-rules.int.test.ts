import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileReadersModule } from '../../../test/fixtures/file-readers/index.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { filesUnder, image, settledFile, uploadFile, type UploadedFile } from '../../../test/helpers/files.js'
import { useExtraApp } from '../../../test/helpers/identity.js'
import { captureLogs } from '../../../test/helpers/logs.js'

const readers = fileReadersModule()
const second = fileReadersModule('more-readers')
const logs = captureLogs()
const app = useTestApp({ modules: [readers.module, second.module], env: { LOG_LEVEL: 'error' }, logStream: logs.stream })

const READS = ['', '/content', '/thumbnail', '/url'] as const
const get = (url: string, user?: TestUser) => app().inject({ url, headers: user?.headers ?? {} })

async function uploadImage(owner: TestUser): Promise<{ file: UploadedFile; png: Buffer }> {
  const png = await image('png', 40, 30)
  const response = await uploadFile(app(), owner, { content: png, filename: 'attachment.png' })
  expect(response.statusCode, response.body).toBe(201)
  const file = await settledFile(app(), owner, response.json<UploadedFile>().id)
  expect(file.thumbnail).toBe('ready')
  return { file, png }
}

/** Refused like a file that does not exist: the same 404 body, nothing said about the file. */
async function expectHidden(user: TestUser, id: string): Promise<void> {
  const missing = randomUUID()
  for (const path of READS) {
    const response = await get(`/api/files/${id}${path}`, user)
    const absent = await get(`/api/files/${missing}${path}`, user)
    expect(response.statusCode, `${path}: ${response.body}`).toBe(404)
    expect(response.json()).toEqual(absent.json())
  }
}

async function expectReadable(user: TestUser, file: UploadedFile, png: Buffer): Promise<void> {
  expect((await get(`/api/files/${file.id}`, user)).json()).toEqual(file)
  const content = await get(`/api/files/${file.id}/content`, user)
  expect(content.statusCode).toBe(200)
  expect(content.rawPayload.equals(png)).toBe(true)
  const thumbnail = await get(`/api/files/${file.id}/thumbnail`, user)
  expect(thumbnail.statusCode).toBe(200)
  expect(thumbnail.headers['content-type']).toBe('image/webp')
  const link = await get(`/api/files/${file.id}/url`, user)
  expect(link.statusCode, link.body).toBe(200)
  expect((await get(link.json<{ url: string }>().url.replace(/^https?:\/\/[^/]+/, ''))).rawPayload.equals(png)).toBe(true)
}

const callsFor = (fileId: string) => [...readers.calls, ...second.calls].filter((call) => call.file.id === fileId)

describe('ctx.files.allowReads', () => {
  it('lets a reader the rule allows see metadata, content, thumbnail and a signed link; the rule gets the actor and the file', async () => {
    const owner = await loginAs(app())
    const reader = await loginAs(app())
    const { file, png } = await uploadImage(owner)
    readers.grant(file.id, { readers: [reader.id] })
    await expectReadable(reader, file, png)
    expect(readers.calls.filter((call) => call.file.id === file.id)).toContainEqual({ actorId: reader.id, file })
  })

  it('refuses (404, as for a missing file) a reader the rule does not allow, and follows the rule at once when access ends', async () => {
    const owner = await loginAs(app())
    const reader = await loginAs(app())
    const stranger = await loginAs(app())
    const { file, png } = await uploadImage(owner)
    readers.grant(file.id, { readers: [reader.id] })
    await expectHidden(stranger, file.id)
    await expectReadable(reader, file, png)
    readers.revoke(file.id)
    await expectHidden(reader, file.id)
  })

  it('counts a rule that throws as a refusal and logs it, without stopping the other rules', async () => {
    const owner = await loginAs(app())
    const reader = await loginAs(app())
    const { file, png } = await uploadImage(owner)
    readers.grant(file.id, { throws: new Error('chat lookup failed') })
    await expectHidden(reader, file.id)
    const line = await logs.waitForLine((l) => l.rule === 'file-readers' && l.fileId === file.id)
    expect(line).toMatchObject({ level: 50, actorId: reader.id, msg: 'a files read rule failed; counted as a refusal', err: { message: 'chat lookup failed' } })
    second.grant(file.id, { readers: [reader.id] })
    await expectReadable(reader, file, png)
  })

  it('never lets a rule allow DELETE: the allowed reader gets 404 and the file stays', async () => {
    const owner = await loginAs(app())
    const reader = await loginAs(app())
    const { file, png } = await uploadImage(owner)
    readers.grant(file.id, { readers: [reader.id] })
    const before = callsFor(file.id).length
    const refused = await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: reader.headers })
    expect(refused.statusCode).toBe(404)
    expect(refused.json().error.code).toBe('NOT_FOUND')
    expect(callsFor(file.id)).toHaveLength(before)
    await expectReadable(owner, file, png)
    expect(filesUnder(join(app().platform.config.dataDir, 'files'))).toContain(`originals/${file.id.slice(-2)}/${file.id}`)
  })

  it('asks no rule when the owner or an admin reads, nor for anonymous callers (401)', async () => {
    const owner = await loginAs(app())
    const admin = await loginAs(app(), 'admin')
    const { file, png } = await uploadImage(owner)
    readers.grant(file.id, { readers: [] })
    const before = callsFor(file.id).length
    await expectReadable(owner, file, png)
    await expectReadable(admin, file, png)
    for (const path of READS) expect((await get(`/api/files/${file.id}${path}`)).statusCode).toBe(401)
    expect(callsFor(file.id)).toHaveLength(before)
  })
})

describe('without any rule', () => {
  const plain = useExtraApp({ modules: [] })

  it('reads stay the owner’s and admins’; others get 404 everywhere, deletion included', async () => {
    const owner = await loginAs(plain())
    const other = await loginAs(plain())
    const admin = await loginAs(plain(), 'admin')
    const response = await uploadFile(plain(), owner, { content: 'hello\n', filename: 'notes.txt' })
    const file = response.json<UploadedFile>()
    for (const path of READS) {
      expect((await plain().inject({ url: `/api/files/${file.id}${path}`, headers: other.headers })).json().error.code).toBe('NOT_FOUND')
    }
    expect((await plain().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: other.headers })).statusCode).toBe(404)
    expect((await plain().inject({ url: `/api/files/${file.id}`, headers: owner.headers })).json()).toEqual(file)
    expect((await plain().inject({ url: `/api/files/${file.id}/content`, headers: admin.headers })).body).toBe('hello\n')
  })
})
