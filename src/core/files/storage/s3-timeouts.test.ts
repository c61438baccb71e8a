import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBlackhole } from '../../../../test/helpers/tcp-proxy.js'
import { newId } from '../../db/columns.js'
import { S3Storage } from './s3.js'
import { storageKey } from './storage.js'

/**
 * An S3 endpoint that accepts connections and never answers: every call fails within its bound
 * (the socket timeout, with the SDK's retries) instead of holding the request. Bounds with margin.
 */
const REQUEST_TIMEOUT_MS = 300
const FAILS_WITHIN_MS = 8000

describe('S3 that never answers', () => {
  let hole: Awaited<ReturnType<typeof startBlackhole>>
  let storage: S3Storage

  beforeAll(async () => {
    hole = await startBlackhole()
    storage = new S3Storage({
      bucket: 'plinth-test',
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${hole.port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    })
  })
  afterAll(async () => {
    await storage?.close()
    await hole?.close()
  })

  const failsInTime = async (call: () => Promise<unknown>): Promise<void> => {
    const started = performance.now()
    await expect(call()).rejects.toThrow()
    expect(performance.now() - started).toBeLessThan(FAILS_WITHIN_MS)
  }

  it('fails exists, get, delete and put in time', async () => {
    const key = storageKey(newId())
    await failsInTime(() => storage.exists(key))
    await failsInTime(() => storage.get(key))
    await failsInTime(() => storage.delete(key))
    await failsInTime(() => storage.put(key, Readable.from([Buffer.from('hello')]), { contentType: 'text/plain' }))
  })
})
