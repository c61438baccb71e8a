import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { filesUnder, image, uploadFile, type UploadedFile } from '../../../test/helpers/files.js'
import { waitFor } from '../../../test/helpers/identity.js'
import { allPages, auditRowsAbout, expectError } from '../../../test/helpers/user-admin.js'

const QUOTA = 100_000
const app = useTestApp({ env: { STORAGE_QUOTA_BYTES: String(QUOTA) } })
const storageRoot = () => join(app().platform.config.dataDir, 'files')

interface AdminFile extends UploadedFile {
  owner: { id: string; email: string; name: string }
}

interface OwnerUsage {
  owner: { id: string; email: string; name: string }
  bytesUsed: number
  files: number
  quotaBytes: number | null
}

async function uploaded(user: TestUser, content: Buffer | string, filename = 'notes.txt'): Promise<UploadedFile> {
  const response = await uploadFile(app(), user, { content, filename })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<UploadedFile>()
}

const get = (url: string, as?: TestUser) => app().inject({ url, headers: as?.headers ?? {} })

async function listed(admin: TestUser, query: string): Promise<AdminFile[]> {
  const response = await get(`/api/admin/files?${query}`, admin)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ items: AdminFile[] }>().items
}

describe('admin file routes', () => {
  it('refuse anonymous callers (401) and non-administrators (403), before looking at the input', async () => {
    for (const [method, url] of [
      ['GET', '/api/admin/files?limit=0'],
      ['GET', '/api/admin/files/usage'],
      ['DELETE', `/api/admin/files/${randomUUID()}`],
    ] as const) {
      expectError(await app().inject({ method, url }), 401, 'UNAUTHENTICATED')
      for (const role of ['user', 'worker'] as const) {
        const as = await loginAs(app(), role)
        expect(expectError(await app().inject({ method, url, headers: as.headers }), 403, 'FORBIDDEN').message).toContain('files:manage')
      }
    }
  })
})

describe('GET /api/admin/files', () => {
  it('lists every owner’s files newest first, with the owner, filtered by owner, type, size and time', async () => {
    const admin = await loginAs(app(), 'admin')
    const [alice, bob] = [await loginAs(app()), await loginAs(app())]
    const small = await uploaded(alice, 'a'.repeat(10))
    const picture = await uploaded(alice, await image('png', 40, 40), 'picture.png')
    const big = await uploaded(bob, 'b'.repeat(5000))

    const aliceFiles = await listed(admin, `ownerId=${alice.id}`)
    expect(aliceFiles.map((file) => file.id)).toEqual([picture.id, small.id])
    expect(aliceFiles[1]).toEqual({ ...small, owner: { id: alice.id, email: alice.email, name: 'Test User' } })

    expect((await listed(admin, `ownerId=${alice.id}&contentType=image/*`)).map((file) => file.id)).toEqual([picture.id])
    expect((await listed(admin, `ownerId=${alice.id}&contentType=text/plain`)).map((file) => file.id)).toEqual([small.id])
    expect(await listed(admin, `ownerId=${alice.id}&contentType=application/pdf`)).toEqual([])
    expect((await listed(admin, `ownerId=${bob.id}&minSize=5000&maxSize=5000`)).map((file) => file.id)).toEqual([big.id])
    expect(await listed(admin, `ownerId=${bob.id}&maxSize=4999`)).toEqual([])

    const at = (file: UploadedFile) => encodeURIComponent(file.createdAt)
    expect((await listed(admin, `ownerId=${alice.id}&from=${at(picture)}`)).map((file) => file.id)).toEqual([picture.id])
    expect((await listed(admin, `ownerId=${alice.id}&to=${at(small)}`)).map((file) => file.id)).toEqual([small.id])
    const newest = (await listed(admin, 'limit=200')).map((file) => file.id)
    expect(newest.indexOf(big.id)).toBeLessThan(newest.indexOf(picture.id))
  })

  it('pages through every file once, newest first or largest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const owner = await loginAs(app())
    const ids: string[] = []
    for (const size of [300, 100, 300, 200, 300]) ids.push((await uploaded(owner, 'x'.repeat(size))).id)

    const newest = await allPages<AdminFile>(app(), admin, `/api/admin/files?ownerId=${owner.id}`, 2)
    expect(newest.map((file) => file.id)).toEqual([...ids].reverse())

    const largest = await allPages<AdminFile>(app(), admin, `/api/admin/files?ownerId=${owner.id}&sort=-size`, 2)
    expect(largest.map((file) => file.size)).toEqual([300, 300, 300, 200, 100])
    // Equal sizes keep one order (newest first) across pages: none is skipped or repeated.
    expect(largest.slice(0, 3).map((file) => file.id)).toEqual([ids[4], ids[2], ids[0]])
  })

  it('refuses bad filters, sorts and cursors (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const details = async (query: string) => expectError(await get(`/api/admin/files?${query}`, admin), 400, 'VALIDATION_FAILED').details
    expect(await details('ownerId=me')).toHaveProperty(['query.ownerId'])
    expect(await details('contentType=images')).toHaveProperty(['query.contentType'])
    expect(await details('minSize=-1')).toHaveProperty(['query.minSize'])
    expect(await details('sort=name')).toHaveProperty(['query.sort'])
    expect(await details('from=yesterday')).toHaveProperty(['query.from'])
    expect(await details('name=x')).toEqual({ 'query.name': 'is not allowed' })
    expect(await details('minSize=10&maxSize=5')).toEqual({ 'query.minSize': 'must not be above query.maxSize' })
    expect(await details('from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z')).toEqual({ 'query.from': 'must not be after query.to' })
    expectError(await get('/api/admin/files?cursor=garbage', admin), 400, 'INVALID_CURSOR')
    const newestCursor = Buffer.from(JSON.stringify(['-createdAt', null, randomUUID()])).toString('base64url')
    expectError(await get(`/api/admin/files?sort=-size&cursor=${newestCursor}`, admin), 400, 'INVALID_CURSOR')
  })
})

describe('GET /api/admin/files/usage', () => {
  it('ranks owners by bytes stored, with the quota that applies, and gives one owner on request', async () => {
    const admin = await loginAs(app(), 'admin')
    const [light, heavy, none] = [await loginAs(app()), await loginAs(app()), await loginAs(app())]
    await uploaded(light, 'l'.repeat(20_000))
    await uploaded(heavy, 'h'.repeat(30_000))
    await uploaded(heavy, 'h'.repeat(30_000))
    const gone = await uploaded(none, 'n'.repeat(10))
    await app().inject({ method: 'DELETE', url: `/api/files/${gone.id}`, headers: none.headers })

    const owners = await allPages<OwnerUsage>(app(), admin, '/api/admin/files/usage', 3)
    const bytes = owners.map((owner) => owner.bytesUsed)
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a))
    expect(new Set(owners.map((owner) => owner.owner.id)).size).toBe(owners.length)
    const ids = owners.map((owner) => owner.owner.id)
    expect(ids.indexOf(heavy.id)).toBeLessThan(ids.indexOf(light.id))
    // An owner whose files are all gone is not listed.
    expect(ids).not.toContain(none.id)

    const one = await get(`/api/admin/files/usage?ownerId=${heavy.id}`, admin)
    expect(one.json()).toEqual({ items: [{ owner: { id: heavy.id, email: heavy.email, name: 'Test User' }, bytesUsed: 60_000, files: 2, quotaBytes: QUOTA }], nextCursor: null })
    expect((await get(`/api/admin/files/usage?ownerId=${none.id}`, admin)).json()).toEqual({ items: [], nextCursor: null })
  })

  it('refuses bad owners, limits and cursors (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    expect(expectError(await get('/api/admin/files/usage?ownerId=x', admin), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.ownerId'])
    expect(expectError(await get('/api/admin/files/usage?limit=201', admin), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.limit'])
    const fileCursor = Buffer.from(JSON.stringify(['-size', 10, randomUUID()])).toString('base64url')
    expectError(await get(`/api/admin/files/usage?cursor=${fileCursor}`, admin), 400, 'INVALID_CURSOR')
  })
})

describe('DELETE /api/admin/files/:id', () => {
  it('deletes anyone’s file, its objects and its bytes from the owner’s usage, audited without the name', async () => {
    const admin = await loginAs(app(), 'admin')
    const owner = await loginAs(app())
    const picture = await uploaded(owner, await image('png', 64, 64), 'holiday.png')
    const kept = await uploaded(owner, 'k'.repeat(100))
    // Its thumbnail made first, so that the job does not write it after the deletion.
    await waitFor(async () => ((await get(`/api/files/${picture.id}`, owner)).json<UploadedFile>().thumbnail === 'ready' ? true : undefined), 10_000)
    const before = filesUnder(storageRoot()).filter((path) => path.includes(picture.id))
    expect(before).toHaveLength(2)

    const response = await app().inject({ method: 'DELETE', url: `/api/admin/files/${picture.id}`, headers: admin.headers })
    expect(response.statusCode, response.body).toBe(204)

    expectError(await get(`/api/files/${picture.id}`, owner), 404, 'NOT_FOUND')
    expect(filesUnder(storageRoot()).filter((path) => path.includes(picture.id))).toEqual([])
    expect((await get('/api/files/usage', owner)).json()).toMatchObject({ bytesUsed: kept.size, files: 1 })
    const audit = await auditRowsAbout(app(), picture.id)
    expect(audit).toEqual([expect.objectContaining({ action: 'file.deleted', actorId: admin.id, details: { ownerId: owner.id, size: picture.size, contentType: 'image/png' } })])
    expect(JSON.stringify(audit)).not.toContain('holiday')

    expectError(await app().inject({ method: 'DELETE', url: `/api/admin/files/${picture.id}`, headers: admin.headers }), 404, 'NOT_FOUND')
    expect(await auditRowsAbout(app(), picture.id)).toHaveLength(1)
  })

  it('refuses an id that is not a UUID (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    expect(expectError(await app().inject({ method: 'DELETE', url: '/api/admin/files/nope', headers: admin.headers }), 400, 'VALIDATION_FAILED').details).toHaveProperty(['params.id'])
  })
})
