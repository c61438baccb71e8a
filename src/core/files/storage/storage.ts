import type { Readable } from 'node:stream'

/** Inclusive byte offsets, as in an HTTP `Range` header. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

export interface StoredObject {
  readonly body: Readable
  /** Size of the whole object, not of the range. */
  readonly size: number
  readonly range?: ByteRange
}

/**
 * Where file bytes live. Keys come from `storageKey()`/`thumbnailKey()` (ids, never client names).
 * `put` is all or nothing: the object exists only if the stream ended without error; when the
 * stream fails (too large, infected, client gone) nothing is left behind.
 */
export interface StorageDriver {
  readonly kind: 'local' | 's3'
  put(key: string, body: Readable, options: { contentType: string }): Promise<void>
  /** `null` when there is no such object. A range must lie inside the object. */
  get(key: string, range?: ByteRange): Promise<StoredObject | null>
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  /** Keys of the objects under `folder` (a key prefix such as `backups`, without the slash), sorted. */
  list(folder: string): Promise<string[]>
  /** A path on this machine to read the object from, when the driver has one (image decoding reads it in place). */
  localPath?(key: string): string
  close(): Promise<void>
}

const KEY = /^[a-z0-9]+(?:\/[a-z0-9][a-z0-9.-]*)+$/
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const FOLDER = /^[a-z0-9]+(?:\/[a-z0-9][a-z0-9.-]*)*$/

/** A folder `list` accepts: the start of keys drivers accept. */
export function assertStorageFolder(folder: string): void {
  if (!FOLDER.test(folder) || folder.split('/').some((segment) => segment.startsWith('.'))) throw new Error(`Invalid storage folder "${folder}"`)
}

/** A key drivers accept: lower-case segments, no `..`, nothing a client chose. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((segment) => segment.startsWith('.'))) throw new Error(`Invalid storage key "${key}"`)
}

/** Spread over 256 prefixes by the id's random tail (UUIDv7 starts with the time). */
function keyFor(folder: string, id: string, suffix = ''): string {
  if (!ID.test(id)) throw new Error(`Invalid file id "${id}"`)
  return `${folder}/${id.slice(-2)}/${id}${suffix}`
}

export const storageKey = (id: string): string => keyFor('originals', id)
export const thumbnailKey = (id: string): string => keyFor('thumbnails', id, '.webp')
