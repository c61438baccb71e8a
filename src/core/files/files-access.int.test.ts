import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TEST_SECRETS, useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { filesUnder, image, settledFile, type UploadedFile, uploadFile, filesProbe } from '../../../test/helpers/files.js'
import { SignedLinks } from './signed-links.js'

const probe = filesProbe()

const app = useTestApp({ modules: [probe.module] })
const storageRoot = () => join(app().platform.config.dataDir, 'files')

async function upload(user: TestUser, content: Buffer | string = 'some text\n', filename = 'notes.txt'): Promise<UploadedFile> {
  const response = await uploadFile(app(), user, { content, filename })
  expect(response.statusCode, response.body).toBe(201)
  const file = response.json<UploadedFile>()
  return file.thumbnail === 'pending' ? settledFile(app(), user, file.id) : file
}

const get = (url: string, user?: TestUser, headers: Record<string, string> = {}) => app().inject({ url, headers: { ...(user?.headers ?? {}), ...headers } })
const originalOf = (id: string) => `originals/${id.slice(-2)}/${id}`

/** After a refused change: the row, the bytes, the stored object and the owner's usage are as they were. */
async function expectIntact(owner: TestUser, file: UploadedFile, content: Buffer | string): Promise<void> {
  expect((await get(`/api/files/${file.id}`, owner)).json()).toEqual(file)
  const bytes = await get(`/api/files/${file.id}/content`, owner)
  expect(bytes.statusCode).toBe(200)
  expect(bytes.rawPayload.equals(Buffer.from(content))).toBe(true)
  expect(filesUnder(storageRoot())).toContain(originalOf(file.id))
  expect(await probe.files().find(file.id)).toEqual(file)
  expect((await get('/api/files/usage', owner)).json()).toMatchObject({ bytesUsed: file.size, files: 1 })
}
const linkQuery = (url: string) => url.slice(url.indexOf('?'))

describe('reading files', () => {
  it('serves the owner the bytes with the sniffed type, disposition, nosniff and ETag', async () => {
    const owner = await loginAs(app())
    const png = await image('png', 40, 30)
    const file = await upload(owner, png, 'chart.png')
    const content = await get(`/api/files/${file.id}/content`, owner)
    expect(content.statusCode).toBe(200)
    expect(content.rawPayload.equals(png)).toBe(true)
    expect(content.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(png.length),
      'content-disposition': `inline; filename="chart.png"; filename*=UTF-8''chart.png`,
      'x-content-type-options': 'nosniff',
      etag: `"${file.sha256}"`,
      'accept-ranges': 'bytes',
    })
    const again = await get(`/api/files/${file.id}/content`, owner, { 'if-none-match': `"${file.sha256}"` })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('sends documents as attachments under their real extension, with the exact UTF-8 name', async () => {
    const owner = await loginAs(app())
    const file = await upload(owner, 'x,y\n', 'Übersicht März.csv')
    const content = await get(`/api/files/${file.id}/content`, owner)
    expect(content.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(content.headers['content-disposition']).toBe(`attachment; filename="_bersicht M_rz.csv"; filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.csv`)
  })

  it('serves single byte ranges (206) and refuses ranges past the end (416)', async () => {
    const owner = await loginAs(app())
    const file = await upload(owner, '0123456789')
    const middle = await get(`/api/files/${file.id}/content`, owner, { range: 'bytes=2-5' })
    expect(middle.statusCode).toBe(206)
    expect(middle.body).toBe('2345')
    expect(middle.headers['content-range']).toBe('bytes 2-5/10')
    expect((await get(`/api/files/${file.id}/content`, owner, { range: 'bytes=-3' })).body).toBe('789')
    const past = await get(`/api/files/${file.id}/content`, owner, { range: 'bytes=10-' })
    expect(past.statusCode).toBe(416)
    expect(past.headers['content-range']).toBe('bytes */10')
    expect(past.json().error.code).toBe('RANGE_NOT_SATISFIABLE')
  })

  it('hides files from other users (404 everywhere), refuses anonymous callers (401), lets admins in', async () => {
    const owner = await loginAs(app())
    const other = await loginAs(app())
    const admin = await loginAs(app(), 'admin')
    const file = await upload(owner)
    for (const path of ['', '/content', '/thumbnail', '/url']) {
      expect((await get(`/api/files/${file.id}${path}`, other)).json().error.code).toBe('NOT_FOUND')
      expect((await get(`/api/files/${file.id}${path}`)).statusCode).toBe(401)
    }
    const refused = await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: other.headers })
    expect(refused.statusCode).toBe(404)
    await expectIntact(owner, file, 'some text\n')
    expect((await app().inject({ method: 'DELETE', url: `/api/files/${file.id}` })).statusCode).toBe(401)
    await expectIntact(owner, file, 'some text\n')
    expect((await get(`/api/files/${file.id}`, admin)).json()).toEqual(file)
    expect((await get(`/api/files/${file.id}/content`, admin)).body).toBe('some text\n')
  })

  it('a refused delete of an image keeps its thumbnail too', async () => {
    const owner = await loginAs(app())
    const png = await image('png', 60, 40)
    const file = await upload(owner, png, 'kept.png')
    expect(file.thumbnail).toBe('ready')
    const refused = await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: (await loginAs(app())).headers })
    expect(refused.json().error.code).toBe('NOT_FOUND')
    await expectIntact(owner, file, png)
    expect(filesUnder(storageRoot())).toContain(`thumbnails/${file.id.slice(-2)}/${file.id}.webp`)
    const thumbnail = await get(`/api/files/${file.id}/thumbnail`, owner)
    expect(thumbnail.statusCode).toBe(200)
    expect(thumbnail.headers['content-type']).toBe('image/webp')
  })

  it('lists your own files, newest first, page by page', async () => {
    const owner = await loginAs(app())
    await upload(await loginAs(app()))
    const ids = [(await upload(owner)).id, (await upload(owner)).id, (await upload(owner)).id]
    const first = (await get('/api/files?limit=2', owner)).json()
    expect(first.items.map((f: UploadedFile) => f.id)).toEqual([ids[2], ids[1]])
    const second = (await get(`/api/files?limit=2&cursor=${first.nextCursor}`, owner)).json()
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null })
    expect((await get('/api/files?cursor=nonsense', owner)).json().error.code).toBe('INVALID_CURSOR')
  })
})

describe('signed links', () => {
  it('reads the content and the thumbnail without a token until the link expires', async () => {
    const owner = await loginAs(app())
    const png = await image('png', 400, 400)
    const file = await upload(owner, png, 'photo.png')
    const response = await get(`/api/files/${file.id}/url?expiresIn=600`, owner)
    expect(response.statusCode, response.body).toBe(200)
    const links = response.json<{ url: string; thumbnailUrl: string; expiresAt: string }>()
    expect(links.url).toMatch(new RegExp(`^http://localhost:3000/api/files/${file.id}/content\\?expires=\\d+&signature=[\\w-]{43}$`))
    expect(Date.parse(links.expiresAt) - Date.now()).toBeGreaterThan(590_000)
    const content = await get(`/api/files/${file.id}/content${linkQuery(links.url)}`)
    expect(content.statusCode).toBe(200)
    expect(content.rawPayload.equals(png)).toBe(true)
    const thumbnail = await get(`/api/files/${file.id}/thumbnail${linkQuery(links.thumbnailUrl)}`)
    expect(thumbnail.headers['content-type']).toBe('image/webp')
  })

  it('refuses an expired link, a forged one and one made for another file (403)', async () => {
    const owner = await loginAs(app())
    const [file, otherFile] = [await upload(owner), await upload(owner)]
    const expired = new SignedLinks(TEST_SECRETS.JWT_SECRET).sign(file.id, -1)
    const late = await get(`/api/files/${file.id}/content?expires=${expired.expires}&signature=${expired.signature}`)
    expect(late.statusCode).toBe(403)
    expect(late.json().error.code).toBe('SIGNED_LINK_EXPIRED')
    const forged = new SignedLinks('another-secret-that-is-long-enough-to-sign').sign(file.id, 600)
    const bad = await get(`/api/files/${file.id}/content?expires=${forged.expires}&signature=${forged.signature}`)
    expect(bad.json().error.code).toBe('SIGNED_LINK_INVALID')
    const { url } = (await get(`/api/files/${otherFile.id}/url`, owner)).json<{ url: string }>()
    const swapped = await get(`/api/files/${file.id}/content${linkQuery(url)}`)
    expect(swapped.json().error.code).toBe('SIGNED_LINK_INVALID')
    const stretched = linkQuery(url).replace(/expires=(\d+)/, (_, n: string) => `expires=${Number(n) + 3600}`)
    expect((await get(`/api/files/${otherFile.id}/content${stretched}`)).json().error.code).toBe('SIGNED_LINK_INVALID')
  })

  it('stops working once the file is deleted (404), and needs both of its parameters (400)', async () => {
    const owner = await loginAs(app())
    const file = await upload(owner)
    const { url } = (await get(`/api/files/${file.id}/url`, owner)).json<{ url: string }>()
    expect((await get(`/api/files/${file.id}/content?${linkQuery(url).split('&')[1]}`)).statusCode).toBe(400)
    await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: owner.headers })
    expect((await get(`/api/files/${file.id}/content${linkQuery(url)}`)).statusCode).toBe(404)
  })
})

describe('deleting and usage', () => {
  it('tracks the bytes each user stores, for the API and for modules', async () => {
    const owner = await loginAs(app())
    const usage = async () => (await get('/api/files/usage', owner)).json<Record<string, number>>()
    expect(await usage()).toEqual({ bytesUsed: 0, files: 0, maxUploadBytes: 26_214_400, quotaBytes: 1_073_741_824 })
    const a = await upload(owner, 'a'.repeat(100))
    await upload(owner, 'b'.repeat(250))
    expect(await usage()).toMatchObject({ bytesUsed: 350, files: 2 })
    expect(await probe.files().bytesUsed(owner.id)).toBe(350)
    await app().inject({ method: 'DELETE', url: `/api/files/${a.id}`, headers: owner.headers })
    expect(await probe.files().bytesUsed(owner.id)).toBe(250)
  })

  it('removes the row, the original and the thumbnail', async () => {
    const owner = await loginAs(app())
    const file = await upload(owner, await image('png', 50, 50), 'dot.png')
    const objects = [`originals/${file.id.slice(-2)}/${file.id}`, `thumbnails/${file.id.slice(-2)}/${file.id}.webp`]
    expect(filesUnder(storageRoot())).toEqual(expect.arrayContaining(objects))
    const deleted = await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: owner.headers })
    expect(deleted.statusCode).toBe(204)
    expect((await get(`/api/files/${file.id}`, owner)).statusCode).toBe(404)
    expect(filesUnder(storageRoot()).filter((path) => path.includes(file.id))).toEqual([])
    expect((await app().inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: owner.headers })).statusCode).toBe(404)
  })

  it('lets modules store, find, link and remove files', async () => {
    const owner = await loginAs(app())
    const { Readable } = await import('node:stream')
    const stored = await probe.files().store(owner.id, 'report.csv', Readable.from([Buffer.from('a,b\n1,2\n')]))
    expect(stored).toMatchObject({ ownerId: owner.id, name: 'report.csv', contentType: 'text/csv', size: 8 })
    expect(await probe.files().find(stored.id)).toEqual(stored)
    const links = await probe.files().signedUrl(stored.id, 60)
    expect((await get(`/api/files/${stored.id}/content${linkQuery(links!.url)}`)).body).toBe('a,b\n1,2\n')
    expect(await probe.files().remove(stored.id)).toBe(true)
    expect(await probe.files().find(stored.id)).toBeNull()
    expect(await probe.files().find('not-a-uuid')).toBeNull()
  })

  it('refuses a module’s oversized stream with FILE_TOO_LARGE and stops reading it', async () => {
    const owner = await loginAs(app())
    const { Readable } = await import('node:stream')
    let produced = 0
    const endless = Readable.from(
      (function* () {
        for (;;) {
          produced++
          yield Buffer.alloc(65536, 'a')
        }
      })(),
    )
    await expect(probe.files().store(owner.id, 'huge.txt', endless)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' })
    expect(endless.destroyed).toBe(true)
    expect(produced * 65536).toBeLessThan(26_214_400 + 2 * 1024 * 1024)
    expect(await probe.files().bytesUsed(owner.id)).toBe(0)
  })

  it('erases a user’s files when the account is deleted', async () => {
    const owner = await loginAs(app())
    const admin = await loginAs(app(), 'admin')
    const file = await upload(owner, await image('png', 20, 20), 'me.png')
    const deleted = await app().inject({ method: 'DELETE', url: `/api/users/${owner.id}`, headers: admin.headers })
    expect(deleted.statusCode, deleted.body).toBe(204)
    // Erased by the files part's users.module-cleanup.files job, just after the answer.
    await expect.poll(async () => (await get(`/api/files/${file.id}`, admin)).statusCode, { timeout: 10_000 }).toBe(404)
    // The row goes first, the objects just after its transaction commits: the 404 can come before them.
    await expect.poll(() => filesUnder(storageRoot()).filter((path) => path.includes(file.id)), { timeout: 5_000 }).toEqual([])
    expect(await probe.files().bytesUsed(owner.id)).toBe(0)
  })
})
