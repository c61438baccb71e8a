import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer, text } from 'node:stream/consumers'
import type { FastifyInstance } from 'fastify'
import S3rver from 's3rver'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../../test/helpers/app.js'
import { loginAs } from '../../../../test/helpers/auth.js'
import { elfExecutable, image, settledFile, type UploadedFile, uploadFile } from '../../../../test/helpers/files.js'
import { closeTestDatabase } from '../../../../test/helpers/database.js'
import { S3Storage } from './s3.js'
import { storageKey, thumbnailKey } from './storage.js'

const BUCKET = 'plinth-test'
const MAX = 12 * 1024 * 1024
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

let server: S3rver
let endpoint: string
let storage: S3Storage
let client: S3Client
let app: FastifyInstance

beforeAll(async () => {
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: mkdtempSync(join(tmpdir(), 'plinth-s3rver-')), configureBuckets: [{ name: BUCKET }] })
  const { port } = await server.run()
  endpoint = `http://127.0.0.1:${port}`
  storage = new S3Storage({ bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, credentials })
  client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials })
  app = await buildTestApp({
    env: {
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: BUCKET,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      MAX_UPLOAD_BYTES: String(MAX),
    },
  })
})

afterAll(async () => {
  await app?.close()
  await closeTestDatabase()
  await storage?.close()
  client?.destroy()
  await server?.close()
})

const id = () => crypto.randomUUID().replace(/^(.{14})./, '$17')

async function keysIn(prefix = ''): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))
  return (listed.Contents ?? []).map((object) => object.Key!).sort()
}

/** A stream of `size` pseudo-random bytes, in 64 KiB chunks, that fails at the end when asked. */
function bytes(size: number, failAtEnd = false): { stream: Readable; all: Buffer } {
  const all = Buffer.alloc(size)
  for (let i = 0; i < size; i++) all[i] = (i * 7919) % 251
  const stream = Readable.from(
    (async function* () {
      for (let offset = 0; offset < size; offset += 65536) yield all.subarray(offset, offset + 65536)
      if (failAtEnd) throw new Error('stream failed')
    })(),
  )
  return { stream, all }
}

describe('S3Storage against s3rver', () => {
  it('puts a stream, reads it whole and by range, checks and deletes it', async () => {
    const key = storageKey(id())
    const { stream, all } = bytes(300_000)
    await storage.put(key, stream, { contentType: 'application/octet-stream' })
    expect(await storage.exists(key)).toBe(true)
    const whole = await storage.get(key)
    expect(whole!.size).toBe(300_000)
    expect((await buffer(whole!.body)).equals(all)).toBe(true)
    const part = await storage.get(key, { start: 1000, end: 1999 })
    expect(part!.size).toBe(300_000)
    expect((await buffer(part!.body)).equals(all.subarray(1000, 2000))).toBe(true)
    await storage.delete(key)
    expect(await storage.exists(key)).toBe(false)
    expect(await storage.get(key)).toBeNull()
  })

  it('streams uploads larger than a part as a multipart upload, byte for byte', async () => {
    const key = storageKey(id())
    const { stream, all } = bytes(11 * 1024 * 1024 + 123)
    await storage.put(key, stream, { contentType: 'application/octet-stream' })
    const stored = await storage.get(key)
    expect((await buffer(stored!.body)).equals(all)).toBe(true)
    await storage.delete(key)
  })

  // s3rver implements neither AbortMultipartUpload nor ListMultipartUploads: that the multipart
  // upload is aborted on S3 itself is lib-storage's part (leavePartsOnError: false).
  it('leaves no object behind when the stream fails, in one part or several', async () => {
    for (const size of [1000, 7 * 1024 * 1024]) {
      const key = storageKey(id())
      await expect(storage.put(key, bytes(size, true).stream, { contentType: 'application/octet-stream' })).rejects.toThrow('stream failed')
      expect(await storage.exists(key)).toBe(false)
    }
  })
})

describe('the files API on S3 (STORAGE_DRIVER=s3)', () => {
  it('stores an upload and its WebP thumbnail in the bucket, serves and deletes them', async () => {
    const user = await loginAs(app)
    const webp = await image('webp', 640, 480)
    const response = await uploadFile(app, user, { content: webp, filename: 'scan.webp' })
    expect(response.statusCode, response.body).toBe(201)
    const file = response.json<UploadedFile>()
    expect(file).toMatchObject({ contentType: 'image/webp', size: webp.length, thumbnail: 'pending' })
    expect(await settledFile(app, user, file.id)).toMatchObject({ thumbnail: 'ready' })
    expect(await keysIn()).toEqual(expect.arrayContaining([storageKey(file.id), thumbnailKey(file.id)]))

    const content = await app.inject({ url: `/api/files/${file.id}/content`, headers: user.headers })
    expect(content.rawPayload.equals(webp)).toBe(true)
    const range = await app.inject({ url: `/api/files/${file.id}/content`, headers: { ...user.headers, range: 'bytes=0-11' } })
    expect(range.statusCode).toBe(206)
    expect(range.rawPayload.equals(webp.subarray(0, 12))).toBe(true)
    const thumbnail = await app.inject({ url: `/api/files/${file.id}/thumbnail`, headers: user.headers })
    expect(await sharp(thumbnail.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 })

    expect((await app.inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: user.headers })).statusCode).toBe(204)
    expect((await keysIn()).filter((key) => key.includes(file.id))).toEqual([])
  })

  it('refuses an executable (415) and an oversized upload (413) leaving the bucket as it was', async () => {
    const user = await loginAs(app)
    const before = await keysIn()
    const exe = await uploadFile(app, user, { content: elfExecutable(), filename: 'tool.png' })
    expect(exe.statusCode).toBe(415)
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MAX)])
    const tooBig = await uploadFile(app, user, { content: big, filename: 'big.pdf' })
    expect(tooBig.statusCode, tooBig.body).toBe(413)
    expect(await keysIn()).toEqual(before)
    expect((await app.inject({ url: '/api/files/usage', headers: user.headers })).json()).toMatchObject({ bytesUsed: 0, files: 0 })
  })

  it('round-trips a text upload byte for byte', async () => {
    const user = await loginAs(app)
    const response = await uploadFile(app, user, { content: 'héllo s3\n', filename: 'a.txt' })
    const file = response.json<UploadedFile>()
    const stored = await storage.get(storageKey(file.id))
    expect(await text(stored!.body)).toBe('héllo s3\n')
  })
})
