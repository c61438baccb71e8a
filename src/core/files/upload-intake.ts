import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { AppError } from '../errors/app-error.js'
import type { ScanSession, VirusScanner } from './clamd.js'
import { allowedContentTypes, isImage, SNIFF_BYTES, sniffContentType } from './content-types.js'
import type { StorageDriver } from './storage/storage.js'

const IMAGE_TYPES = allowedContentTypes.filter(isImage)

/** An upload as it arrives: a stream that is read once, never collected in memory. */
export interface IncomingUpload {
  /** Sanitized name; only chooses between text/plain and text/csv. */
  readonly name: string
  readonly body: Readable
  /** Whether the transport cut the stream at its own size limit (busboy's `truncated`). */
  readonly truncated?: () => boolean
  /** A request body: read the rest of a refused upload rather than destroying the stream. */
  readonly drainOnRefusal?: boolean
  /** Only raster images (those that get a thumbnail): any other allowed type is refused too (415). */
  readonly imagesOnly?: boolean
}

export interface StoredUpload {
  readonly contentType: string
  readonly size: number
  readonly sha256: string
}

export interface IntakeOptions {
  readonly storage: StorageDriver
  readonly scanner: VirusScanner | undefined
  readonly maxBytes: number
}

/** The owner's storage quota when the upload starts; absent: no quota. */
export interface QuotaRoom {
  readonly quotaBytes: number
  readonly usedBytes: number
}

/**
 * Streams an upload into storage under `key`: sniffs the type from the first bytes and refuses
 * it (415) before anything is written; hashes, counts (413 past the limit) and, with clamd,
 * scans the bytes as they pass. A refused upload leaves nothing in storage: the driver drops the
 * object when the stream fails, and the scan verdict arrives before the stream ends. With a
 * quota, the stream fails (413 STORAGE_QUOTA_EXCEEDED) as soon as it passes the room left.
 */
export async function storeUpload(options: IntakeOptions, key: string, upload: IncomingUpload, quota?: QuotaRoom): Promise<StoredUpload> {
  const chunks: AsyncIterator<Buffer> = upload.body.iterator({ destroyOnReturn: false })
  let meter: Meter | undefined
  try {
    const head = await readHead(chunks)
    if (head.length === 0) throw new AppError('VALIDATION_FAILED', 'The file is empty.', { file: 'is empty' })
    const sniffed = await sniffContentType(Buffer.concat(head), upload.name)
    if (!sniffed.allowed) {
      throw new AppError('FILE_TYPE_NOT_ALLOWED', `Files of type ${sniffed.detected ?? 'unknown (binary)'} are not accepted.`, { detected: sniffed.detected })
    }
    if (upload.imagesOnly && !isImage(sniffed.contentType)) {
      throw new AppError('FILE_TYPE_NOT_ALLOWED', `Only images are accepted here, not ${sniffed.contentType}.`, { detected: sniffed.contentType, accepted: IMAGE_TYPES })
    }
    meter = new Meter(options.maxBytes, quota, options.scanner?.start(), upload.truncated ?? (() => false))
    const body = Readable.from(meter.pass(head, chunks), { objectMode: false })
    await options.storage.put(key, body, { contentType: sniffed.contentType })
    return { contentType: sniffed.contentType, size: meter.bytes, sha256: meter.sha256() }
  } catch (error) {
    meter?.abort()
    if (!upload.drainOnRefusal) {
      upload.body.destroy()
      throw meter?.failure ?? error
    }
    await drain(upload.body, chunks)
    if (meter?.failure) throw meter.failure
    if (upload.body.errored && !(error instanceof AppError)) throw Object.assign(new AppError('BAD_REQUEST', 'The upload ended before the file was complete.'), { cause: error })
    throw error
  }
}

/**
 * Reads and discards the rest of a refused upload before the answer goes out: a response sent
 * while the client is still sending leaves a connection Node never counts as idle again, and a
 * client that gets a reset instead of the answer. The iterator must let go first: `resume()` does
 * nothing while it listens. The request timeout bounds how long this can take.
 */
async function drain(body: Readable, chunks: AsyncIterator<Buffer>): Promise<void> {
  await Promise.resolve(chunks.return?.()).catch(() => {})
  if (body.readableEnded || body.destroyed) return
  await new Promise<void>((resolve) => {
    body.once('end', resolve).once('close', resolve).once('error', () => resolve())
    body.resume()
  })
}

async function readHead(chunks: AsyncIterator<Buffer>): Promise<Buffer[]> {
  const head: Buffer[] = []
  let length = 0
  while (length < SNIFF_BYTES) {
    const next = await chunks.next()
    if (next.done) break
    head.push(next.value)
    length += next.value.length
  }
  return head
}

/** Counts, hashes and scans the bytes on their way to storage; fails the stream on the first refusal. */
class Meter {
  bytes = 0
  failure: AppError | undefined
  private readonly hash = createHash('sha256')

  constructor(
    private readonly maxBytes: number,
    private readonly quota: QuotaRoom | undefined,
    private readonly scan: ScanSession | undefined,
    private readonly truncated: () => boolean,
  ) {}

  async *pass(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
    for (const chunk of head) yield await this.check(chunk)
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield await this.check(next.value)
    if (this.truncated()) throw this.fail(this.tooLarge())
    if (this.scan) await this.verdict(this.scan)
  }

  sha256(): string {
    return this.hash.digest('hex')
  }

  abort(): void {
    this.scan?.abort()
  }

  private async check(chunk: Buffer): Promise<Buffer> {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) throw this.fail(this.tooLarge())
    if (this.quota && this.quota.usedBytes + this.bytes > this.quota.quotaBytes) throw this.fail(quotaExceeded(this.quota))
    this.hash.update(chunk)
    if (this.scan) await this.scan.write(chunk).catch((error: unknown) => Promise.reject(this.fail(scannerDown(error))))
    return chunk
  }

  private async verdict(scan: ScanSession): Promise<void> {
    const verdict = await scan.finish().catch((error: unknown) => Promise.reject(this.fail(scannerDown(error))))
    if (verdict.infected) throw this.fail(new AppError('FILE_INFECTED', `The file contains malware (${verdict.signature}) and was not stored.`, { signature: verdict.signature }))
  }

  private tooLarge(): AppError {
    return new AppError('FILE_TOO_LARGE', `The file is larger than ${this.maxBytes} bytes.`, { maxBytes: this.maxBytes })
  }

  private fail(error: AppError): AppError {
    this.failure ??= error
    return error
  }
}

export function quotaExceeded({ quotaBytes, usedBytes }: QuotaRoom): AppError {
  return new AppError('STORAGE_QUOTA_EXCEEDED', `The file does not fit in your storage quota of ${quotaBytes} bytes (${usedBytes} used).`, { quotaBytes, usedBytes })
}

function scannerDown(cause: unknown): AppError {
  return Object.assign(new AppError('SERVICE_UNAVAILABLE', 'The virus scanner is unavailable; retry later.'), { cause })
}
