import { pipeline } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import sharp, { type Sharp, type SharpOptions } from 'sharp'
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
 * Makes the WebP thumbnail of an image file. Runs inline after an upload today; it needs only
 * the file id, so a job handler (`files.thumbnail`) can call `make(id)` unchanged once the jobs
 * queue exists. Idempotent: a file that has its thumbnail, or is not an image, is left alone.
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
    if (!file || file.thumbnailKey || !isImage(file.contentType)) return file
    const key = thumbnailKey(file.id)
    try {
      await this.storage.put(key, await this.render(file.storageKey), { contentType: THUMBNAIL_TYPE })
    } catch (err) {
      // The upload stands; the file just has no preview (a truncated or malformed image).
      this.log.warn({ err, fileId }, 'could not make a thumbnail')
      return file
    }
    return (await this.repository.setThumbnail(file.id, key)) ?? (await this.dropOrphan(key))
  }

  /** Reads the original in place on local disk; from S3 sharp collects the (bounded) upload first. */
  private async render(sourceKey: string): Promise<Sharp> {
    const resize = (input: Sharp) =>
      input.rotate().resize({ width: THUMBNAIL_MAX_PX, height: THUMBNAIL_MAX_PX, fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 })
    if (this.storage.localPath) return resize(sharp(this.storage.localPath(sourceKey), decoding))
    const original = await this.storage.get(sourceKey)
    if (!original) throw new Error(`The original ${sourceKey} is missing from storage`)
    const transformer = resize(sharp(decoding))
    pipeline(original.body, transformer, () => {})
    return transformer
  }

  /** The file was deleted while its thumbnail was being made. */
  private async dropOrphan(key: string): Promise<null> {
    await this.storage.delete(key)
    return null
  }
}
