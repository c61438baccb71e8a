import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { filesUnder, uploadFile, type UploadedFile, filesProbe } from '../../../test/helpers/files.js'
import { expectError, useExtraApp } from '../../../test/helpers/identity.js'

const QUOTA = 1000

const probe = filesProbe()

const app = useTestApp({ modules: [probe.module], env: { STORAGE_QUOTA_BYTES: String(QUOTA) } })
const storageRoot = () => join(app().platform.config.dataDir, 'files')

const upload = (user: TestUser, content: string) => uploadFile(app(), user, { content, filename: 'notes.txt' })
const usage = async (user: TestUser) => (await app().inject({ url: '/api/files/usage', headers: user.headers })).json<Record<string, unknown>>()
const listed = async (user: TestUser) => (await app().inject({ url: '/api/files', headers: user.headers })).json<{ items: UploadedFile[] }>().items

async function uploaded(user: TestUser, content: string): Promise<UploadedFile> {
  const response = await upload(user, content)
  expect(response.statusCode, response.body).toBe(201)
  return response.json<UploadedFile>()
}

/** A text stream that sends `content`, then holds until `release()`; `reading` settles once the upload is being read. */
function heldStream(content: string): { body: Readable; reading: Promise<void>; release: () => void } {
  let release!: () => void
  let started!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const reading = new Promise<void>((resolve) => (started = resolve))
  const body = Readable.from(
    (async function* () {
      yield Buffer.from(content)
      started()
      await gate
    })(),
  )
  return { body, reading, release }
}

describe('storage quota (STORAGE_QUOTA_BYTES)', () => {
  it('refuses an upload past the quota with 413 STORAGE_QUOTA_EXCEEDED and stores nothing of it', async () => {
    const owner = await loginAs(app())
    const kept = await uploaded(owner, 'a'.repeat(600))
    const before = filesUnder(storageRoot())

    const refused = await upload(owner, 'b'.repeat(401))
    const error = expectError(refused, 413, 'STORAGE_QUOTA_EXCEEDED')
    expect(error.details).toEqual({ quotaBytes: QUOTA, usedBytes: 600 })

    expect(filesUnder(storageRoot())).toEqual(before)
    expect((await listed(owner)).map((file) => file.id)).toEqual([kept.id])
    expect(await usage(owner)).toEqual({ bytesUsed: 600, files: 1, maxUploadBytes: 26_214_400, quotaBytes: QUOTA })
    // What is left still fits, to the byte.
    expect((await upload(owner, 'c'.repeat(400))).statusCode).toBe(201)
    expectError(await upload(owner, 'd'), 413, 'STORAGE_QUOTA_EXCEEDED')
    expect(await probe.files().bytesUsed(owner.id)).toBe(QUOTA)
  })

  it('stops reading a stream as soon as it passes the room left', async () => {
    const owner = await loginAs(app())
    let produced = 0
    const endless = Readable.from(
      (function* () {
        for (;;) {
          produced++
          yield Buffer.alloc(100, 'a')
        }
      })(),
    )
    await expect(probe.files().store(owner.id, 'endless.txt', endless)).rejects.toMatchObject({ code: 'STORAGE_QUOTA_EXCEEDED', status: 413 })
    expect(endless.destroyed).toBe(true)
    // The sniffer reads a little ahead; the quota stops the stream within a few chunks of it.
    expect(produced * 100).toBeLessThan(QUOTA + 8 * 1024)
    expect(await probe.files().bytesUsed(owner.id)).toBe(0)
    expect(await listed(owner)).toEqual([])
  })

  it('keeps only the concurrent uploads that still fit when they are stored; the others leave nothing', async () => {
    // Both uploads are past the quota check of the stream (each fits on its own) before either is
    // stored, so only the check made with the usage row locked can refuse one.
    const owner = await loginAs(app())
    const before = filesUnder(storageRoot()).length
    const streams = [heldStream('a'.repeat(600)), heldStream('b'.repeat(600))]
    const stores = streams.map(({ body }) => probe.files().store(owner.id, 'half.txt', body))
    await Promise.all(streams.map(({ reading }) => reading))
    for (const stream of streams) stream.release()

    const results = await Promise.allSettled(stores)
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected'])
    const refusal = results.find((result) => result.status === 'rejected')!
    expect(refusal.reason).toMatchObject({ code: 'STORAGE_QUOTA_EXCEEDED', details: { quotaBytes: QUOTA, usedBytes: 600 } })
    expect(await probe.files().bytesUsed(owner.id)).toBe(600)
    expect(await listed(owner)).toHaveLength(1)
    expect(filesUnder(storageRoot())).toHaveLength(before + 1)
  })

  it('lets no more parallel uploads through than fit', async () => {
    const owner = await loginAs(app())
    const before = filesUnder(storageRoot()).length
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(owner, String(i).repeat(300))))
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 201, 201, 413, 413, 413])
    expect(await probe.files().bytesUsed(owner.id)).toBe(900)
    expect(filesUnder(storageRoot())).toHaveLength(before + 3)
  })
})

describe('a user’s own quota, set by a module', () => {
  it('replaces the default for that user alone, and can be lifted or cleared', async () => {
    const owner = await loginAs(app())
    const other = await loginAs(app())

    await probe.files().setQuota(owner.id, 200)
    expect(await probe.files().quotaBytes(owner.id)).toBe(200)
    expect(await usage(owner)).toMatchObject({ quotaBytes: 200 })
    expect(expectError(await upload(owner, 'a'.repeat(201)), 413, 'STORAGE_QUOTA_EXCEEDED').details).toEqual({ quotaBytes: 200, usedBytes: 0 })
    await uploaded(owner, 'a'.repeat(200))
    expect(await probe.files().quotaBytes(other.id)).toBe(QUOTA)

    await probe.files().setQuota(owner.id, 5000)
    await uploaded(owner, 'b'.repeat(1500))
    expect(await usage(owner)).toMatchObject({ bytesUsed: 1700, quotaBytes: 5000 })

    await probe.files().setQuota(owner.id, 0)
    expect(await usage(owner)).toMatchObject({ quotaBytes: null })
    await uploaded(owner, 'c'.repeat(4000))

    await probe.files().setQuota(owner.id, null)
    expect(await probe.files().quotaBytes(owner.id)).toBe(QUOTA)
    expect(expectError(await upload(owner, 'd'), 413, 'STORAGE_QUOTA_EXCEEDED').details).toEqual({ quotaBytes: QUOTA, usedBytes: 5700 })
    expect(await probe.files().bytesUsed(owner.id)).toBe(5700)
  })

  it('applies to a user before their first upload, and refuses unknown users and bad amounts', async () => {
    const owner = await loginAs(app())
    await probe.files().setQuota(owner.id, 10)
    expectError(await upload(owner, 'a'.repeat(11)), 413, 'STORAGE_QUOTA_EXCEEDED')
    expect(await usage(owner)).toEqual({ bytesUsed: 0, files: 0, maxUploadBytes: 26_214_400, quotaBytes: 10 })

    await expect(probe.files().setQuota('0190f5a4-0000-7000-8000-000000000000', 10)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(probe.files().setQuota('nope', 10)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(probe.files().setQuota(owner.id, -1)).rejects.toThrow(RangeError)
    await expect(probe.files().setQuota(owner.id, 1.5)).rejects.toThrow(RangeError)
    expect(await probe.files().quotaBytes(owner.id)).toBe(10)
  })
})

describe('upload rate limit (UPLOAD_RATE_LIMIT_PER_MINUTE)', () => {
  const limited = useExtraApp({ env: { UPLOAD_RATE_LIMIT_PER_MINUTE: '2' } })
  const send = (user: TestUser, content = 'hello\n') => uploadFile(limited(), user, { content, filename: 'notes.txt' })

  it('answers 429 RATE_LIMITED with Retry-After past the limit, per account, and stores nothing', async () => {
    const owner = await loginAs(limited())
    expect((await send(owner)).statusCode).toBe(201)
    expect((await send(owner)).statusCode).toBe(201)

    const refused = await send(owner)
    const error = expectError(refused, 429, 'RATE_LIMITED')
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(error.details).toEqual({ limitPerMinute: 2, retryAfterSeconds: retryAfter })
    expect(refused.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0' })
    expect((await limited().inject({ url: '/api/files/usage', headers: owner.headers })).json()).toMatchObject({ files: 2 })

    // Other requests of the account, and other accounts' uploads, go on.
    expect((await limited().inject({ url: '/api/files', headers: owner.headers })).statusCode).toBe(200)
    expect((await send(await loginAs(limited()))).statusCode).toBe(201)
  })
})
