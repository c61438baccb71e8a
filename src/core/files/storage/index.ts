import type { StorageConfig } from '../../../config/index.js'
import { LocalDiskStorage } from './local-disk.js'
import { S3Storage } from './s3.js'
import type { StorageDriver } from './storage.js'

export function createStorage(config: StorageConfig): StorageDriver {
  if (config.driver === 'local') return new LocalDiskStorage(config.root)
  const { driver: _driver, ...options } = config
  return new S3Storage(options)
}

export { LocalDiskStorage } from './local-disk.js'
export { S3Storage } from './s3.js'
export { storageKey, thumbnailKey, type ByteRange, type StorageDriver, type StoredObject } from './storage.js'
