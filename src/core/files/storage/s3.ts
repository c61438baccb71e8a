import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { Readable } from 'node:stream'
import type { StorageConfig } from '../../../config/index.js'
import { assertStorageFolder, assertStorageKey, type ByteRange, type StorageDriver, type StoredObject } from './storage.js'

export type S3StorageOptions = Omit<Extract<StorageConfig, { driver: 's3' }>, 'driver' | 'requestTimeoutMs'> & { requestTimeoutMs?: number }

/** Opening a connection to S3; a silent socket fails after `requestTimeoutMs` (S3_REQUEST_TIMEOUT_MS). */
const CONNECT_TIMEOUT_MS = 3000
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** S3's smallest multipart part: the most of an upload held in memory at once. */
const PART_BYTES = 5 * 1024 * 1024

/**
 * AWS S3 or an S3-compatible server (MinIO, R2, s3rver). Uploads of unknown length go up as a
 * multipart upload, one 5 MiB part at a time; a stream that fails aborts the multipart upload,
 * so no object and no orphan parts remain.
 */
export class S3Storage implements StorageDriver {
  readonly kind = 's3'
  private readonly client: S3Client
  private readonly bucket: string

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      // A copy: the SDK annotates the credentials object, and the config is frozen.
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      // Checksums computed while streaming use aws-chunked encoding, which S3-compatible servers
      // do not all understand (s3rver stores the framing as content): only where S3 requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // No timeouts by default in the SDK: an unreachable S3 would hold an upload or download forever.
      // The socket timeout is for silence, not the whole transfer, so large files still stream.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
    })
  }

  async put(key: string, body: Readable, options: { contentType: string }): Promise<void> {
    assertStorageKey(key)
    let streamError: unknown
    body.once('error', (error) => (streamError = error))
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: options.contentType },
      partSize: PART_BYTES,
      queueSize: 1,
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (error) {
      body.destroy()
      // When the stream failed, that is the cause, not a failure to abort the multipart upload.
      throw streamError ?? error
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    assertStorageKey(key)
    try {
      const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) })
      const output = await this.client.send(command)
      const size = range ? Number(output.ContentRange?.split('/')[1]) : Number(output.ContentLength)
      return { body: output.Body as Readable, size, ...(range ? { range } : {}) }
    } catch (error) {
      if (isNotFound(error)) return null
      throw error
    }
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key)
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  async exists(key: string): Promise<boolean> {
    assertStorageKey(key)
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw error
    }
  }

  async list(folder: string): Promise<string[]> {
    assertStorageFolder(folder)
    const keys: string[] = []
    let token: string | undefined
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${folder}/`, ...(token ? { ContinuationToken: token } : {}) }))
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key)
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return keys.sort()
  }

  async close(): Promise<void> {
    this.client.destroy()
  }
}

function isNotFound(error: unknown): boolean {
  const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return failure.name === 'NoSuchKey' || failure.name === 'NotFound' || failure.$metadata?.httpStatusCode === 404
}
