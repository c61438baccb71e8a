import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { elfExecutable, filesUnder, image, multipartBody, uploadFile, type UploadedFile } from '../../../test/helpers/files.js'
import { expectError, useExtraApp } from '../../../test/helpers/identity.js'

/** Seed 003 (chat) names the upload route POST /api/files/upload: the same route as POST /api/files. */
const PATH = '/api/files/upload'
const MAX = 100_000
const app = useTestApp({ env: { MAX_UPLOAD_BYTES: String(MAX) } })

const storageRoot = () => join(app().platform.config.dataDir, 'files')
const post = (user: TestUser | undefined, content: Buffer | string, filename: string) => uploadFile(app(), user, { content, filename }, PATH)

async function expectNothingStored(user: TestUser, before: string[]): Promise<void> {
  expect((await app().inject({ url: '/api/files', headers: user.headers })).json()).toEqual({ items: [], nextCursor: null })
  expect((await app().inject({ url: '/api/files/usage', headers: user.headers })).json()).toMatchObject({ bytesUsed: 0, files: 0 })
  expect(filesUnder(storageRoot())).toEqual(before)
}

describe('POST /api/files/upload', () => {
  it('stores the file as POST /api/files does: 201, its metadata, Location, readable at GET /api/files/:id', async () => {
    const user = await loginAs(app())
    const png = await image('png', 40, 30)
    const response = await post(user, png, 'photo.png')
    expect(response.statusCode, response.body).toBe(201)
    const file = response.json<UploadedFile>()
    expect(file).toEqual({
      id: expect.any(String),
      ownerId: user.id,
      name: 'photo.png',
      contentType: 'image/png',
      size: png.length,
      sha256: createHash('sha256').update(png).digest('hex'),
      thumbnail: 'pending',
      createdAt: expect.stringMatching(/Z$/),
    })
    expect(response.headers.location).toBe(`/api/files/${file.id}`)
    expect((await app().inject({ url: `/api/files/${file.id}`, headers: user.headers })).json()).toMatchObject({ id: file.id, size: png.length })
    const content = await app().inject({ url: `/api/files/${file.id}/content`, headers: user.headers })
    expect(content.rawPayload.equals(png)).toBe(true)
    expect(filesUnder(storageRoot())).toContain(`originals/${file.id.slice(-2)}/${file.id}`)
    const deleted = await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: user.headers })
    expect(deleted.statusCode).toBe(204)
    expect((await app().inject({ url: `/api/files/${file.id}`, headers: user.headers })).statusCode).toBe(404)
  })

  it('refuses an anonymous caller (401), a body without a file part (400), storing nothing', async () => {
    const user = await loginAs(app())
    const before = filesUnder(storageRoot())
    expectError(await post(undefined, 'x', 'a.txt'), 401, 'UNAUTHENTICATED')
    const { payload, headers } = await multipartBody({ field: 'note', value: 'no file here' })
    const none = await app().inject({ method: 'POST', url: PATH, headers: { ...headers, ...user.headers }, payload })
    expect(expectError(none, 400, 'VALIDATION_FAILED').details).toEqual({ file: 'is required' })
    await expectNothingStored(user, before)
  })

  it('refuses a file over MAX_UPLOAD_BYTES (413) and a disallowed or non-multipart body (415), storing nothing', async () => {
    const user = await loginAs(app())
    const before = filesUnder(storageRoot())
    const big = await post(user, Buffer.alloc(MAX + 1, 'a'), 'big.txt')
    expect(expectError(big, 413, 'FILE_TOO_LARGE').details).toEqual({ maxBytes: MAX })
    const elf = await post(user, elfExecutable(), 'cat.png')
    expect(expectError(elf, 415, 'FILE_TYPE_NOT_ALLOWED').details).toEqual({ detected: 'application/x-elf' })
    const json = await app().inject({ method: 'POST', url: PATH, headers: user.headers, payload: { file: 'x' } })
    expectError(json, 415, 'UNSUPPORTED_MEDIA_TYPE')
    await expectNothingStored(user, before)
  })

  it('is documented in OpenAPI with the schema and responses of POST /api/files', async () => {
    const doc = (await app().inject({ url: '/openapi.json' })).json<{ paths: Record<string, { post?: Record<string, unknown> }> }>()
    const [classic, seed] = [doc.paths['/api/files']?.post, doc.paths['/api/files/upload']?.post]
    expect(seed).toBeDefined()
    const { operationId: seedId, ...seedRest } = seed!
    const { operationId: classicId, ...classicRest } = classic!
    expect(seedId).not.toBe(classicId)
    expect(seedRest).toEqual(classicRest)
    expect(Object.keys(seedRest.responses as object)).toEqual(expect.arrayContaining(['201', '400', '401', '413', '415', '429']))
  })
})

describe('POST /api/files/upload: the upload rate limit', () => {
  const limited = useExtraApp({ env: { UPLOAD_RATE_LIMIT_PER_MINUTE: '2' } })

  it('counts uploads on both paths together', async () => {
    const user = await loginAs(limited())
    const send = (url: string) => uploadFile(limited(), user, { content: 'hello\n', filename: 'notes.txt' }, url)
    expect((await send('/api/files')).statusCode).toBe(201)
    expect((await send(PATH)).statusCode).toBe(201)
    expectError(await send(PATH), 429, 'RATE_LIMITED')
    expectError(await send('/api/files'), 429, 'RATE_LIMITED')
    expect((await limited().inject({ url: '/api/files/usage', headers: user.headers })).json()).toMatchObject({ files: 2 })
  })
})
