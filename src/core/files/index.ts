import type { Readable } from 'node:stream'
import type { Actor } from '../access/actor.js'
import { isUuid } from '../db/columns.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config/index.js'
import type { PermissionRegistry } from '../access/permissions.js'
import type { Db } from '../db/client.js'
import type { JobDefinition, JobSender } from '../jobs/index.js'
import type { RealtimePublisher } from '../realtime/index.js'
import type { ModuleUserData } from '../users/user-data.service.js'
import { ClamdScanner } from './clamd.js'
import { isImage } from './content-types.js'
import { toFileView, type FileView } from './file.view.js'
import { sanitizeFileName } from './file-names.js'
import { filesAdminStore } from './files-admin.repository.js'
import { FilesAdminService } from './files-admin.service.js'
import { filesStore } from './files.repository.js'
import { FilesService, type FileLinks } from './files.service.js'
import { filesPermissions } from './permissions.js'
import { ReadRules, type ReadRule } from './read-rules.js'
import { DEFAULT_LINK_SECONDS, SignedLinks } from './signed-links.js'
import { createStorage } from './storage/index.js'
import type { StorageDriver } from './storage/storage.js'
import { thumbnailJob } from './thumbnail.job.js'
import { imageDimensions, ThumbnailMaker } from './thumbnails.js'


/** What modules get as `ctx.files`. Modules check their own access rules before calling. */
export interface FilesApi {
  /**
   * Lets actors other than the owner read files through the core files routes (metadata, content,
   * thumbnail, signed links; never DELETE) when `rule` says yes: a chat's participants its
   * attachments. Register in `createApi`; `name` (the module's) labels the rule in logs. Rules run
   * only after the owner and files:manage checks fail, one after another until one says yes; one
   * that throws is logged and counts as no. Refused readers get 404, as for a missing file.
   */
  allowReads(name: string, rule: (actor: Actor, file: FileView) => Promise<boolean>): void
  /** Bytes of the user's stored files (originals; thumbnails are not counted), for quotas. */
  bytesUsed(userId: string): Promise<number>
  /** The bytes the user may store in all (their own quota, else STORAGE_QUOTA_BYTES); `null`: no quota. */
  quotaBytes(userId: string): Promise<number | null>
  /**
   * Sets the user's own storage quota in bytes, 0 for none (a plan's allowance), or `null` to apply
   * STORAGE_QUOTA_BYTES again. It binds the next upload; files already stored stay. 404 for an unknown user.
   */
  setQuota(userId: string, quotaBytes: number | null): Promise<void>
  /** A file's metadata, whoever owns it; `null` when there is no such file. */
  find(id: string): Promise<FileView | null>
  /**
   * Stores bytes for `ownerId` with every upload check (type, size, the owner's quota, scan); an
   * image's thumbnail follows. Refusals are AppErrors (415 FILE_TYPE_NOT_ALLOWED, 413 FILE_TOO_LARGE
   * or STORAGE_QUOTA_EXCEEDED…) and store nothing. `options` for bytes a module streams from a request.
   */
  store(ownerId: string, name: string, body: Readable, options?: StoreOptions): Promise<FileView>
  /** The largest file `store` accepts (MAX_UPLOAD_BYTES), e.g. for a module's own multipart limits. */
  readonly maxUploadBytes: number
  /** A stored image's width and height as shown (EXIF orientation applied); `null` for no such file, or one that is no readable image. */
  imageSize(id: string): Promise<{ width: number; height: number } | null>
  /** Expiring links to the content (and thumbnail); `null` when there is no such file. */
  signedUrl(id: string, expiresInSeconds?: number): Promise<FileLinks | null>
  /** Deletes the file and its objects; `false` when it was already gone. */
  remove(id: string): Promise<boolean>
  /** The original's bytes as a stream (a module rendering what it stores, e.g. a PDF); `null` when there is no such file. */
  open(id: string): Promise<Readable | null>
}

export interface StoreOptions {
  /** Only raster images (JPEG, PNG, GIF, WebP, AVIF): any other type is 415 FILE_TYPE_NOT_ALLOWED. */
  readonly imagesOnly?: boolean
  /** Whether the transport cut the stream at its own limit (a multipart part's `file.truncated`): then 413 FILE_TOO_LARGE. */
  readonly truncated?: () => boolean
  /** The body is a request's: read the rest of a refused upload before the answer, rather than destroying the stream. */
  readonly drainOnRefusal?: boolean
}

export interface Files {
  readonly service: FilesService
  /** Every owner's files for administrators (GET/DELETE /api/admin/files…). */
  readonly admin: FilesAdminService
  /** `files.thumbnail`: define it on the queue before it starts. */
  readonly jobs: JobDefinition[]
  readonly storage: StorageDriver
  readonly api: FilesApi
  /** Account deletion erases the user's files. */
  readonly userData: ModuleUserData
  readonly maxUploadBytes: number
  /** Uploads per minute per account on POST /api/files; 0: no limit. */
  readonly uploadRateLimitPerMinute: number
  close(): Promise<void>
}

export interface FilesDeps {
  config: Config
  db: Db
  access: PermissionRegistry
  jobs: JobSender
  realtime: RealtimePublisher
  log: FastifyBaseLogger
}

export function createFiles(deps: FilesDeps): Files {
  const { config, db, access, jobs, realtime, log } = deps
  access.declare(...filesPermissions)
  const { maxUploadBytes, clamav, storageQuotaBytes, uploadRateLimitPerMinute } = config.files
  const storage = createStorage(config.files.storage)
  const store = filesStore(db)
  const thumbnails = new ThumbnailMaker(store.repos, storage, log)
  const readRules = new ReadRules(log)
  const service = new FilesService({
    store,
    storage,
    intake: { storage, scanner: clamav ? new ClamdScanner(clamav) : undefined, maxBytes: maxUploadBytes },
    quotaBytes: storageQuotaBytes,
    jobs,
    links: new SignedLinks(config.secrets.jwtSecret),
    access,
    readRules,
    publicUrl: config.publicUrl,
    log,
  })
  const api: FilesApi = {
    allowReads: (name: string, rule: ReadRule) => readRules.add(name, rule),
    bytesUsed: async (userId) => (await service.usage(userId)).bytes,
    quotaBytes: (userId) => service.quotaOf(userId),
    setQuota: (userId, quotaBytes) => service.setQuota(userId, quotaBytes),
    find: async (id) => {
      const row = isUuid(id) ? await store.repos.findById(id) : null
      return row ? toFileView(row) : null
    },
    store: async (ownerId, name, body, options = {}) => toFileView(await service.create(ownerId, { name: sanitizeFileName(name), body, ...options })),
    maxUploadBytes,
    imageSize: async (id) => {
      const row = isUuid(id) ? await store.repos.findById(id) : null
      if (!row || !isImage(row.contentType)) return null
      const source = storage.localPath ? storage.localPath(row.storageKey) : (await storage.get(row.storageKey))?.body
      return source ? imageDimensions(source) : null
    },
    signedUrl: async (id, expiresInSeconds = DEFAULT_LINK_SECONDS) => {
      const row = isUuid(id) ? await store.repos.findById(id) : null
      return row ? service.linksTo(row, expiresInSeconds) : null
    },
    remove: (id) => service.erase(id),
    open: async (id) => {
      const row = isUuid(id) ? await store.repos.findById(id) : null
      return row ? ((await storage.get(row.storageKey))?.body ?? null) : null
    },
  }
  const userData: ModuleUserData = {
    name: 'files',
    onUserDeleted: async (userId) => {
      const erased = await service.eraseAllOf(userId)
      if (erased > 0) log.info({ userId, erased }, 'erased the files of a deleted account')
    },
  }
  const admin = new FilesAdminService(filesAdminStore(db), service, access, storageQuotaBytes)
  return { service, admin, jobs: [thumbnailJob(thumbnails, realtime)], storage, api, userData, maxUploadBytes, uploadRateLimitPerMinute, close: () => storage.close() }
}

export { filesRoutes } from './files.routes.js'
export { filesAdminRoutes } from './files-admin.routes.js'
export type { FileView } from './file.view.js'
export type { FileLinks } from './files.service.js'
