import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../access/actor.js'
import type { PermissionRegistry } from '../access/permissions.js'
import { isUuid, newId } from '../db/columns.js'
import { isForeignKeyViolation } from '../db/pg-errors.js'
import type { UnitOfWork } from '../db/unit-of-work.js'
import type { JobSender } from '../jobs/index.js'
import { AppError, notFound } from '../errors/app-error.js'
import { decodeCursor, encodeCursor } from '../http/resource/cursor.js'
import { isImage, servedContentType } from './content-types.js'
import type { FileRow } from './db/schema.js'
import { toFileView, type FileView } from './file.view.js'
import { contentDisposition, downloadName } from './file-names.js'
import type { FilesRepository, Usage } from './files.repository.js'
import { FILES_MANAGE } from './permissions.js'
import type { ReadRules } from './read-rules.js'
import type { SignedLinks } from './signed-links.js'
import { storageKey, thumbnailKey, type ByteRange, type StorageDriver, type StoredObject } from './storage/storage.js'
import { MakeThumbnail } from './thumbnail.job.js'
import { THUMBNAIL_TYPE } from './thumbnails.js'
import { quotaExceeded, storeUpload, type IncomingUpload, type IntakeOptions, type QuotaRoom } from './upload-intake.js'

export type Variant = 'content' | 'thumbnail'

/** How to send one variant of a file over HTTP. */
export interface Served {
  key: string
  contentType: string
  etag: string
  disposition: string
  /** Known for originals (ranges work); thumbnails are sent whole. */
  size: number | undefined
}

export interface FileLinks {
  url: string
  thumbnailUrl: string | null
  expiresAt: string
}

const SORT = '-id'

export interface FilesServiceDeps {
  store: UnitOfWork<FilesRepository>
  storage: StorageDriver
  intake: IntakeOptions
  /** Bytes each user may store unless a module set their own quota; 0: no quota. */
  quotaBytes: number
  /** Where the `files.thumbnail` job of each stored image goes. */
  jobs: JobSender
  links: SignedLinks
  access: PermissionRegistry
  /** Modules' rules letting others read a file (a chat's participants its attachments). */
  readRules: ReadRules
  publicUrl: string
  log: FastifyBaseLogger
}

/**
 * Uploads, reads, links and deletions. Owners and holders of files:manage see a file, and so do
 * those a module's read rule allows (reads only); to anyone else it is 404.
 */
export class FilesService {
  constructor(private readonly deps: FilesServiceDeps) {
    deps.access.assertKnown(FILES_MANAGE)
  }

  /**
   * Stores an upload for `ownerId`: bytes first (refused uploads stop there, leaving nothing),
   * then the row and the owner's usage in one transaction; an image's thumbnail is queued after.
   *
   * The quota is checked twice: while the bytes stream, against the usage when the upload began
   * (refused as soon as it passes the room left), and again when the row is inserted, with the
   * owner's usage row locked. Concurrent uploads of one user may all stream, but only those that
   * still fit when they commit are kept; the others are refused and their objects deleted.
   */
  async create(ownerId: string, upload: IncomingUpload): Promise<FileRow> {
    const { store, storage, intake, jobs, log } = this.deps
    const id = newId()
    const key = storageKey(id)
    const stored = await storeUpload(intake, key, upload, await this.quotaRoom(ownerId))
    const thumbnailStatus = isImage(stored.contentType) ? 'pending' : null
    let row: FileRow
    try {
      const inserted = await store.transaction((repos) => repos.insert({ id, ownerId, name: upload.name, ...stored, storageKey: key, thumbnailStatus }, this.deps.quotaBytes))
      if (!inserted) throw quotaExceeded((await this.quotaRoom(ownerId)) ?? { quotaBytes: 0, usedBytes: 0 })
      row = inserted
    } catch (error) {
      await storage.delete(key).catch((err: unknown) => log.error({ err, key }, 'could not remove the object of a failed upload'))
      throw error
    }
    if (thumbnailStatus) {
      // The upload stands even when the queue is unreachable; the thumbnail then stays pending.
      await jobs.send(MakeThumbnail, { fileId: id }).catch((err: unknown) => log.error({ err, fileId: id }, 'could not queue a thumbnail'))
    }
    return row
  }

  /** For reading (metadata, bytes, links): the owner, files:manage, or whom a module's read rule allows. */
  async get(actor: Actor, id: string): Promise<FileRow> {
    const file = await this.deps.store.repos.findById(id)
    if (!file) throw notFound('File')
    if (this.mayManage(actor, file) || (await this.deps.readRules.allow(actor, toFileView(file)))) return file
    throw notFound('File')
  }

  /** A file by a signed link: no account needed while the link is valid. */
  async getByLink(id: string, expires: number, signature: string): Promise<FileRow> {
    const check = this.deps.links.check(id, expires, signature)
    if (check === 'invalid') throw new AppError('SIGNED_LINK_INVALID')
    if (check === 'expired') throw new AppError('SIGNED_LINK_EXPIRED', undefined, { expiredAt: new Date(expires * 1000).toISOString() })
    const file = await this.deps.store.repos.findById(id)
    if (!file) throw notFound('File')
    return file
  }

  async list(actor: Actor, query: { limit: number; cursor?: string }): Promise<{ items: FileView[]; nextCursor: string | null }> {
    const before = query.cursor ? decodeFileCursor(query.cursor) : undefined
    const rows = await this.deps.store.repos.listByOwner(actor.id, query.limit + 1, before)
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    return { items: page.map(toFileView), nextCursor: rows.length > query.limit && last ? encodeCursor({ sort: SORT, value: null, id: last.id }) : null }
  }

  async link(actor: Actor, id: string, expiresInSeconds: number): Promise<FileLinks> {
    return this.linksTo(await this.get(actor, id), expiresInSeconds)
  }

  linksTo(file: FileRow, expiresInSeconds: number): FileLinks {
    const { expires, signature } = this.deps.links.sign(file.id, expiresInSeconds)
    const query = `expires=${expires}&signature=${signature}`
    const base = `${this.deps.publicUrl}/api/files/${file.id}`
    return {
      url: `${base}/content?${query}`,
      thumbnailUrl: file.thumbnailKey ? `${base}/thumbnail?${query}` : null,
      expiresAt: new Date(expires * 1000).toISOString(),
    }
  }

  serve(file: FileRow, variant: Variant): Served {
    if (variant === 'content') {
      const inline = isImage(file.contentType)
      return {
        key: file.storageKey,
        contentType: servedContentType(file.contentType),
        etag: `"${file.sha256}"`,
        disposition: contentDisposition(inline ? 'inline' : 'attachment', downloadName(file.name, file.contentType)),
        size: file.size,
      }
    }
    if (!file.thumbnailKey) throw new AppError('NOT_FOUND', 'This file has no thumbnail.')
    return {
      key: file.thumbnailKey,
      contentType: THUMBNAIL_TYPE,
      etag: `"${file.sha256}-thumbnail"`,
      disposition: contentDisposition('inline', downloadName(file.name, THUMBNAIL_TYPE)),
      size: undefined,
    }
  }

  async read(served: Served, range?: ByteRange): Promise<StoredObject> {
    const object = await this.deps.storage.get(served.key, range)
    if (object) return object
    this.deps.log.error({ key: served.key }, 'a file row points to a missing object')
    throw notFound('File')
  }

  /** Only the owner or files:manage: read rules never reach deletion. */
  async remove(actor: Actor, id: string): Promise<void> {
    const file = await this.deps.store.repos.findById(id)
    if (!file || !this.mayManage(actor, file)) throw notFound('File')
    await this.erase(file.id)
  }

  /**
   * Row and usage go in one transaction; the objects after it commits. An object that cannot be
   * deleted then (storage down) is logged and left orphaned rather than resurrecting the file.
   */
  async erase(id: string): Promise<boolean> {
    const row = await this.deps.store.transaction((repos) => repos.delete(id))
    if (!row) return false
    await this.removeObjects(row)
    return true
  }

  /** After the row's deletion committed: the original and its thumbnail; one that cannot be deleted is logged and left. */
  async removeObjects(row: FileRow): Promise<void> {
    const keys = [row.storageKey, thumbnailKey(row.id)]
    const results = await Promise.allSettled(keys.map((key) => this.deps.storage.delete(key)))
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') this.deps.log.error({ err: result.reason as unknown, key: keys[i] }, 'could not delete a file object')
    }
  }

  /** Every file of a user (account deletion). */
  async eraseAllOf(userId: string): Promise<number> {
    let erased = 0
    for (let page = await this.deps.store.repos.listByOwner(userId, 100); page.length > 0; page = await this.deps.store.repos.listByOwner(userId, 100)) {
      for (const file of page) if (await this.erase(file.id)) erased++
    }
    return erased
  }

  usage(userId: string): Promise<Usage> {
    return this.deps.store.repos.usage(userId)
  }

  /** The bytes the user may store in all: their own quota, else the default; `null`: no quota. */
  async quotaOf(userId: string): Promise<number | null> {
    return effectiveQuota(await this.usage(userId), this.deps.quotaBytes)
  }

  /** Sets the user's own quota in bytes (0: no quota), or `null` to apply the default again. */
  async setQuota(userId: string, quotaBytes: number | null): Promise<void> {
    if (quotaBytes !== null && !(Number.isSafeInteger(quotaBytes) && quotaBytes >= 0)) throw new RangeError('A quota is a whole number of bytes ≥ 0, or null.')
    if (!isUuid(userId)) throw notFound('User')
    try {
      await this.deps.store.repos.setQuota(userId, quotaBytes)
    } catch (error) {
      if (isForeignKeyViolation(error)) throw notFound('User')
      throw error
    }
  }

  private mayManage(actor: Actor, file: FileRow): boolean {
    return file.ownerId === actor.id || this.deps.access.roleHas(actor.role, FILES_MANAGE)
  }

  private async quotaRoom(userId: string): Promise<QuotaRoom | undefined> {
    const usage = await this.usage(userId)
    const quotaBytes = effectiveQuota(usage, this.deps.quotaBytes)
    return quotaBytes === null ? undefined : { quotaBytes, usedBytes: usage.bytes }
  }
}

function effectiveQuota(usage: Usage, defaultQuotaBytes: number): number | null {
  const quota = usage.quotaBytes ?? defaultQuotaBytes
  return quota === 0 ? null : quota
}

function decodeFileCursor(cursor: string): string {
  const { id } = decodeCursor(cursor, SORT)
  if (!isUuid(id)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list' })
  return id
}
