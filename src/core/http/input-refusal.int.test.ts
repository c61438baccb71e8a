import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, TEST_PASSWORD, uniqueEmail } from '../../../test/helpers/auth.js'
import { filesUnder, multipartBody, uploadFile, type UploadedFile } from '../../../test/helpers/files.js'
import { editUser, expectError } from '../../../test/helpers/user-admin.js'

// Input is refused, not guessed: a JSON body keeps its types (nothing is coerced), only JSON is a
// JSON body (415 otherwise), and a refused request stores nothing.
const app = useTestApp()

const register = (payload: Record<string, unknown>) => app().inject({ method: 'POST', url: '/api/auth/register', payload })
const storedByEmail = (email: string) => app().platform.identity.store.repos.users.findByLogin({ email })
const stored = async (id: string) => (await app().platform.identity.store.repos.users.findById(id))!

describe('JSON bodies are not coerced (core)', () => {
  it('POST /api/auth/register refuses a boolean, a number or null for a string, naming the field, and creates no account', async () => {
    for (const [field, value] of [
      ['name', true],
      ['name', 42],
      ['username', 12345],
      ['name', null],
      ['password', null],
    ] as const) {
      const email = uniqueEmail('coerce')
      const error = expectError(await register({ email, password: TEST_PASSWORD, name: 'Valid Name', [field]: value }), 400, 'VALIDATION_FAILED')
      expect(error.details, `${field}: ${String(value)}`).toEqual({ [field]: 'must be string' })
      expect(await storedByEmail(email)).toBeUndefined()
    }
  })

  it('POST /api/auth/register refuses an array or an object for a string', async () => {
    const email = uniqueEmail('coerce')
    const error = expectError(await register({ email: [email], password: TEST_PASSWORD, name: { first: 'A' } }), 400, 'VALIDATION_FAILED')
    expect(error.details).toEqual({ email: 'must be string', name: 'must be string' })
    expect(await storedByEmail(email)).toBeUndefined()
  })

  it('PATCH and PUT /api/users/:id (administrator) refuse a string for a number or a boolean, and null, changing nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await registerUser(app(), { name: 'Unchanged' })
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ name: 'Changed', version: '1' }, { version: 'must be integer' }],
      [{ disabled: 'true', version: 1 }, { disabled: 'must be boolean' }],
      [{ disabled: 1, version: 1 }, { disabled: 'must be boolean' }],
      [{ role: null, version: 1 }, { role: 'must be "admin", "worker" or "user"' }],
      [{ name: null, version: 1 }, { name: 'must be string' }],
      [{ name: 5, version: 1 }, { name: 'must be string' }],
      [{ avatarUrl: 7, version: 1 }, { avatarUrl: 'must be string or null' }],
    ]
    for (const [payload, details] of cases) {
      const error = expectError(await editUser(app(), admin, user.id, payload), 400, 'VALIDATION_FAILED')
      expect(error.details, JSON.stringify(payload)).toEqual(details)
    }
    const full = { name: 'Changed', avatarUrl: null, role: 'user', disabled: false }
    expect(expectError(await editUser(app(), admin, user.id, { ...full, version: '1' }, 'PUT'), 400, 'VALIDATION_FAILED').details).toEqual({ version: 'must be integer' })
    expect(expectError(await editUser(app(), admin, user.id, { ...full, disabled: 'false', version: 1 }, 'PUT'), 400, 'VALIDATION_FAILED').details).toEqual({ disabled: 'must be boolean' })
    expect(await stored(user.id)).toMatchObject({ name: 'Unchanged', version: 1, role: 'user', disabled: false })
    // The same edit with JSON types goes through.
    expect((await editUser(app(), admin, user.id, { name: 'Changed', disabled: false, version: 1 })).statusCode).toBe(200)
  })

  it('query strings are still text to convert: ?limit=1 is a number', async () => {
    const admin = await loginAs(app(), 'admin')
    await registerUser(app())
    const page = await app().inject({ url: '/api/users?limit=1', headers: admin.headers })
    expect(page.statusCode, page.body).toBe(200)
    expect(page.json<{ items: unknown[]; nextCursor: string | null }>()).toMatchObject({ items: [expect.anything()], nextCursor: expect.any(String) })
    expect(expectError(await app().inject({ url: '/api/users?limit=one', headers: admin.headers }), 400, 'VALIDATION_FAILED').details).toEqual({ 'query.limit': 'must be integer' })
  })
})

describe('a body that is not JSON on a JSON route is 415 (core)', () => {
  const notJson = async (): Promise<[string, string | Buffer][]> => {
    const form = await multipartBody({ field: 'name', value: 'Form Name' })
    return [
      ['text/plain', '{"name":"Text Name"}'],
      ['text/plain; charset=utf-8', 'name=Text'],
      ['application/x-www-form-urlencoded', 'name=Form+Name&version=1'],
      [form.headers['content-type']!, form.payload],
    ]
  }

  it('POST /api/auth/register creates no account', async () => {
    for (const [contentType, payload] of await notJson()) {
      const email = uniqueEmail('media')
      const body = contentType.startsWith('text/plain') ? JSON.stringify({ email, password: TEST_PASSWORD, name: 'Text' }) : payload
      const error = expectError(await app().inject({ method: 'POST', url: '/api/auth/register', headers: { 'content-type': contentType }, payload: body }), 415, 'UNSUPPORTED_MEDIA_TYPE')
      const sent = contentType.split(';')[0]
      expect(error.message, contentType).toBe(`Content-Type ${sent} is not accepted here; send application/json.`)
      expect(error.details).toEqual({ contentType: sent, accepted: ['application/json'] })
      expect(await storedByEmail(email)).toBeUndefined()
    }
  })

  it('PATCH /api/users/:id changes nothing', async () => {
    const user = await registerUser(app(), { name: 'Unchanged' })
    for (const [contentType, payload] of await notJson()) {
      const response = await app().inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers: { ...user.headers, 'content-type': contentType }, payload })
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
    }
    expect(await stored(user.id)).toMatchObject({ name: 'Unchanged', version: 1 })
  })

  it('multipart is taken by the upload route alone: the other file routes answer 415 to it, and uploads still work', async () => {
    const user = await loginAs(app())
    const uploaded = await uploadFile(app(), user, { content: 'hello, world\n', filename: 'hello.txt' })
    expect(uploaded.statusCode, uploaded.body).toBe(201)
    const file = uploaded.json<UploadedFile>()
    expect(file).toMatchObject({ ownerId: user.id, name: 'hello.txt', contentType: 'text/plain', size: 13 })

    const form = await multipartBody({ field: 'x', value: 'y' })
    const removal = await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: { ...user.headers, ...form.headers }, payload: form.payload })
    expectError(removal, 415, 'UNSUPPORTED_MEDIA_TYPE')
    const stillThere = await app().inject({ url: `/api/files/${file.id}/content`, headers: user.headers })
    expect(stillThere.statusCode).toBe(200)
    expect(stillThere.body).toBe('hello, world\n')
    expect((await app().inject({ url: `/api/files/${file.id}`, headers: user.headers })).json()).toEqual(file)
    expect(filesUnder(join(app().platform.config.dataDir, 'files'))).toContain(`originals/${file.id.slice(-2)}/${file.id}`)
    expect((await app().inject({ url: '/api/files/usage', headers: user.headers })).json()).toMatchObject({ bytesUsed: 13, files: 1 })

    // JSON, text or a form is not an upload.
    for (const contentType of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      const response = await app().inject({ method: 'POST', url: '/api/files', headers: { ...user.headers, 'content-type': contentType }, payload: contentType === 'application/json' ? '{}' : 'a=b' })
      const error = expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect(error.details).toEqual({ contentType, accepted: ['multipart/form-data'] })
    }
  })
})
