import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { elfExecutable, filesUnder, image, multipartBody, peExecutable, settledFile, uploadFile, type UploadedFile } from '../../../test/helpers/files.js'

const MAX = 1_000_000
const app = useTestApp({ env: { MAX_UPLOAD_BYTES: String(MAX) } })

const storageRoot = () => join(app().platform.config.dataDir, 'files')
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

async function uploaded(user: TestUser, content: Buffer | string, filename: string, type?: string): Promise<UploadedFile> {
  const response = await uploadFile(app(), user, { content, filename, ...(type ? { type } : {}) })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<UploadedFile>()
}

async function thumbnailOf(user: TestUser, id: string) {
  expect(await settledFile(app(), user, id)).toMatchObject({ thumbnail: 'ready' })
  const response = await app().inject({ url: `/api/files/${id}/thumbnail`, headers: user.headers })
  expect(response.statusCode, response.body).toBe(200)
  expect(response.headers['content-type']).toBe('image/webp')
  return sharp(response.rawPayload).metadata()
}

/** What a refused upload must leave: no row, no usage, no object or temp file. */
async function expectNothingStored(user: TestUser, before: string[]) {
  const list = await app().inject({ url: '/api/files', headers: user.headers })
  expect(list.json()).toEqual({ items: [], nextCursor: null })
  const usage = await app().inject({ url: '/api/files/usage', headers: user.headers })
  expect(usage.json()).toMatchObject({ bytesUsed: 0, files: 0 })
  expect(filesUnder(storageRoot())).toEqual(before)
}

describe('POST /api/files: images', () => {
  it('stores a PNG, answers its metadata and makes a WebP thumbnail of at most 320 px', async () => {
    const user = await loginAs(app())
    const png = await image('png', 800, 600)
    const file = await uploaded(user, png, 'holiday.png', 'image/png')
    expect(file).toEqual({
      id: expect.any(String),
      ownerId: user.id,
      name: 'holiday.png',
      contentType: 'image/png',
      size: png.length,
      sha256: sha256(png),
      thumbnail: 'pending',
      createdAt: expect.stringMatching(/Z$/),
    })
    expect(await thumbnailOf(user, file.id)).toMatchObject({ format: 'webp', width: 320, height: 240 })
    expect(filesUnder(storageRoot())).toEqual(expect.arrayContaining([`originals/${file.id.slice(-2)}/${file.id}`, `thumbnails/${file.id.slice(-2)}/${file.id}.webp`]))
  })

  it('gives a WebP upload a WebP thumbnail too (PocketBase #7686)', async () => {
    const user = await loginAs(app())
    const webp = await image('webp', 500, 1000)
    const file = await uploaded(user, webp, 'portrait.webp')
    expect(file).toMatchObject({ contentType: 'image/webp', thumbnail: 'pending' })
    expect(await thumbnailOf(user, file.id)).toMatchObject({ format: 'webp', width: 160, height: 320 })
  })

  it.each(['jpeg', 'gif', 'avif'] as const)('thumbnails %s images, and never enlarges small ones', async (format) => {
    const user = await loginAs(app())
    const file = await uploaded(user, await image(format, 100, 50), `small.${format}`)
    expect(file).toMatchObject({ contentType: `image/${format}`, thumbnail: 'pending' })
    expect(await thumbnailOf(user, file.id)).toMatchObject({ format: 'webp', width: 100, height: 50 })
  })

  it('tells the owner in their user room when the thumbnail is ready', async () => {
    const instance = app()
    if (!instance.server.listening) await instance.listen({ port: 0, host: '127.0.0.1' })
    const user = await loginAs(instance)
    const { port } = instance.server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
    try {
      await socket.ofType('ready')
      expect(await socket.subscribe(`user:${user.id}`)).toMatchObject({ type: 'subscribed' })
      const file = await uploaded(user, await image('png', 40, 30), 'tiny.png')
      const [event] = await socket.events(`user:${user.id}`, 1, 10_000)
      expect(event).toMatchObject({ event: 'file.thumbnail', data: { ...file, thumbnail: 'ready' } })
    } finally {
      socket.close()
    }
  })

  it('keeps an image whose pixels cannot be decoded, without a thumbnail', async () => {
    const user = await loginAs(app())
    const broken = Buffer.concat([(await image('png', 64, 64)).subarray(0, 60), Buffer.alloc(200)])
    const file = await uploaded(user, broken, 'broken.png')
    expect(file).toMatchObject({ contentType: 'image/png', thumbnail: 'pending' })
    expect(await settledFile(app(), user, file.id)).toMatchObject({ thumbnail: 'failed' })
    const thumbnail = await app().inject({ url: `/api/files/${file.id}/thumbnail`, headers: user.headers })
    expect(thumbnail.statusCode).toBe(404)
  })
})

describe('POST /api/files: the type comes from the bytes', () => {
  it('refuses an ELF executable named .png and sent as image/png (415), storing nothing', async () => {
    const user = await loginAs(app())
    const before = filesUnder(storageRoot())
    const response = await uploadFile(app(), user, { content: elfExecutable(), filename: 'cat.png', type: 'image/png' })
    expect(response.statusCode, response.body).toBe(415)
    expect(response.json().error).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED', details: { detected: 'application/x-elf' } })
    await expectNothingStored(user, before)
  })

  it('refuses a Windows executable named .jpg, and unknown binary data', async () => {
    const user = await loginAs(app())
    const before = filesUnder(storageRoot())
    const pe = await uploadFile(app(), user, { content: peExecutable(), filename: 'photo.jpg', type: 'image/jpeg' })
    expect(pe.json().error).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED', details: { detected: 'application/x-msdownload' } })
    const binary = await uploadFile(app(), user, { content: Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x10]), filename: 'notes.txt', type: 'text/plain' })
    expect(binary.statusCode).toBe(415)
    expect(binary.json().error.details).toEqual({ detected: null })
    await expectNothingStored(user, before)
  })

  it('stores a PNG sent as an .exe with a lying header as what it is: image/png', async () => {
    const user = await loginAs(app())
    const file = await uploaded(user, await image('png', 10, 10), 'setup.exe', 'application/x-msdownload')
    expect(file).toMatchObject({ contentType: 'image/png', name: 'setup.exe' })
    const content = await app().inject({ url: `/api/files/${file.id}/content`, headers: user.headers })
    expect(content.headers['content-type']).toBe('image/png')
  })

  it('stores UTF-8 text as text/plain (CSV when named .csv), and HTML as plain text', async () => {
    const user = await loginAs(app())
    expect(await uploaded(user, 'héllo, wörld\n', 'greeting.txt')).toMatchObject({ contentType: 'text/plain' })
    expect(await uploaded(user, 'id,name\n1,Ada\n', 'people.csv')).toMatchObject({ contentType: 'text/csv' })
    const html = await uploaded(user, '<!doctype html><script>alert(1)</script>', 'page.html', 'text/html')
    expect(html.contentType).toBe('text/plain')
    const content = await app().inject({ url: `/api/files/${html.id}/content`, headers: user.headers })
    expect(content.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(content.headers['content-disposition']).toBe(`attachment; filename="page.html.txt"; filename*=UTF-8''page.html.txt`)
  })

  it('takes the last segment of a path-like name and strips control characters', async () => {
    const user = await loginAs(app())
    const file = await uploaded(user, 'x', '../../etc/\u202Egnp.exe\u0007.txt')
    expect(file.name).toBe('gnp.exe.txt')
    expect(filesUnder(storageRoot()).some((path) => path.includes('gnp'))).toBe(false)
  })
})

describe('POST /api/files: size', () => {
  it('refuses a file over MAX_UPLOAD_BYTES with 413, storing nothing', async () => {
    const user = await loginAs(app())
    const before = filesUnder(storageRoot())
    const big = Buffer.concat([await image('png', 8, 8), Buffer.alloc(MAX)])
    const response = await uploadFile(app(), user, { content: big, filename: 'big.png' })
    expect(response.statusCode, response.body).toBe(413)
    expect(response.json().error).toMatchObject({ code: 'FILE_TOO_LARGE', details: { maxBytes: MAX } })
    await expectNothingStored(user, before)
  })

  it('accepts a file of exactly MAX_UPLOAD_BYTES', async () => {
    const user = await loginAs(app())
    const text = Buffer.alloc(MAX, 'a')
    expect(await uploaded(user, text, 'exact.txt')).toMatchObject({ size: MAX, sha256: sha256(text) })
  })

  it('refuses an empty file (400) and a request without a file part (400)', async () => {
    const user = await loginAs(app())
    const empty = await uploadFile(app(), user, { content: Buffer.alloc(0), filename: 'empty.txt' })
    expect(empty.statusCode).toBe(400)
    expect(empty.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { file: 'is empty' } })
    const { payload, headers } = await multipartBody({ field: 'note', value: 'no file here' })
    const none = await app().inject({ method: 'POST', url: '/api/files', headers: { ...headers, ...user.headers }, payload })
    expect(none.statusCode).toBe(400)
    expect(none.json().error.details).toEqual({ file: 'is required' })
  })

  it('answers 415 to a body that is not multipart, and 401 without a token', async () => {
    const user = await loginAs(app())
    const json = await app().inject({ method: 'POST', url: '/api/files', headers: user.headers, payload: { file: 'x' } })
    expect(json.statusCode).toBe(415)
    expect(json.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const raw = await app().inject({ method: 'POST', url: '/api/files', headers: { ...user.headers, 'content-type': 'application/octet-stream' }, payload: 'raw' })
    expect(raw.statusCode).toBe(415)
    const anonymous = await uploadFile(app(), undefined, { content: 'x', filename: 'a.txt' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('answers 400 to a multipart body without a boundary or cut off mid-file, storing nothing', async () => {
    const user = await loginAs(app())
    const before = filesUnder(storageRoot())
    const post = (contentType: string, payload: string) => app().inject({ method: 'POST', url: '/api/files', headers: { ...user.headers, 'content-type': contentType }, payload })
    const noBoundary = await post('multipart/form-data', 'garbage')
    expect(noBoundary.statusCode).toBe(400)
    expect(noBoundary.json().error.code).toBe('BAD_REQUEST')
    const cut = await post('multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello wor')
    expect(cut.statusCode).toBe(400)
    expect(cut.json().error.message).toContain('ended before the file was complete')
    await expectNothingStored(user, before)
  })
})
