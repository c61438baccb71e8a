import { pipeline, Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import sharp, { type SharpOptions } from 'sharp'
import { isImage } from './content-types.js'
import type { FileRow } from './db/schema.js'
import type { FilesRepository } from './files.repository.js'
import { thumbnailKey, type StorageDriver } from './storage/storage.js'

/** Longest side of a thumbnail, in pixels; smaller images keep their size. */
export const THUMBNAIL_MAX_PX = 320
export const THUMBNAIL_TYPE = 'image/webp'

/**
 * Larger images are refused for thumbnails (decompression bombs): 100 megapixels is beyond any
 * phone photo, and still decodes within a few hundred MB.
 */
const decoding: SharpOptions = { limitInputPixels: 100_000_000, failOn: 'error' }

/**
 * Makes the WebP thumbnail of an image file, from the `files.thumbnail` job. Idempotent: a file
 * whose thumbnail is settled (`ready` or `failed`), or that is not an image, is left alone.
 */
export class ThumbnailMaker {
  constructor(
    private readonly repository: FilesRepository,
    private readonly storage: StorageDriver,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The file as it is afterwards; `null` when it no longer exists. Never throws for a bad image. */
  async make(fileId: string): Promise<FileRow | null> {
    const file = await this.repository.findById(fileId)
    if (!file || file.thumbnailStatus !== 'pending' || !isImage(file.contentType)) return file
    // Reading the original and storing the thumbnail may throw (storage outage): the job is retried.
    const source = this.storage.localPath ? this.storage.localPath(file.storageKey) : (await this.storage.get(file.storageKey))?.body
    let thumbnail: Buffer
    try {
      if (!source) throw new Error(`The original ${file.storageKey} is missing from storage`)
      thumbnail = await render(source)
    } catch (err) {
      // The upload stands; the file just has no preview (a truncated or malformed image).
      this.log.warn({ err, fileId }, 'could not make a thumbnail')
      return this.repository.setThumbnail(file.id, null)
    }
    const key = thumbnailKey(file.id)
    await this.storage.put(key, Readable.from([thumbnail]), { contentType: THUMBNAIL_TYPE })
    return (await this.repository.setThumbnail(file.id, key)) ?? (await this.dropOrphan(key))
  }

  /** The file was deleted while its thumbnail was being made. */
  private async dropOrphan(key: string): Promise<null> {
    await this.storage.delete(key)
    return null
  }
}

/**
 * An image's width and height as it is shown (EXIF orientation applied), from its header;
 * `null` when the bytes are not an image sharp can read.
 */
export async function imageDimensions(source: string | Readable): Promise<{ width: number; height: number } | null> {
  const input = typeof source === 'string' ? sharp(source, decoding) : sharp(decoding)
  if (typeof source !== 'string') pipeline(source, input, () => {})
  try {
    const { autoOrient } = await input.metadata()
    return autoOrient.width > 0 && autoOrient.height > 0 ? { width: autoOrient.width, height: autoOrient.height } : null
  } catch {
    return null
  }
}

/** The WebP bytes (at most 320 px a side: tens of KB) of an image file on disk or a stream of one. */
function render(source: string | Readable): Promise<Buffer> {
  const input = typeof source === 'string' ? sharp(source, decoding) : sharp(decoding)
  const transformer = input.rotate().resize({ width: THUMBNAIL_MAX_PX, height: THUMBNAIL_MAX_PX, fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 })
  if (typeof source !== 'string') pipeline(source, transformer, () => {})
  return transformer.toBuffer()
}
