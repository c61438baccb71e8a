import { randomUUID } from 'node:crypto'
import { closeSync, createReadStream, createWriteStream, fstat, open as openCallback } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { assertStorageFolder, assertStorageKey, type ByteRange, type StorageDriver, type StoredObject } from './storage.js'

const openFile = promisify(openCallback)
const fstatFile = promisify(fstat)

/**
 * Files under one directory (DATA_DIR/files by default). Uploads are written to `.tmp/` and
 * renamed into place once complete, so a reader never sees half an object and a failed upload
 * leaves only a temp file that is removed at once.
 */
export class LocalDiskStorage implements StorageDriver {
  readonly kind = 'local'
  private readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
  }

  async put(key: string, body: Readable): Promise<void> {
    const target = this.localPath(key)
    const temp = join(this.root, '.tmp', `${randomUUID()}.part`)
    await mkdir(dirname(temp), { recursive: true })
    try {
      await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true }))
      await mkdir(dirname(target), { recursive: true })
      await rename(temp, target)
    } catch (error) {
      body.destroy()
      await rm(temp, { force: true })
      throw error
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    // A numeric descriptor, not a FileHandle: a FileHandle stream piped into an HTTP response
    // keeps the connection from ever counting as idle, so the server cannot close.
    const fd = await openFile(this.localPath(key), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null
      throw error
    })
    if (fd === null) return null
    try {
      const { size } = await fstatFile(fd)
      // Always bounded: without `end` the stream learns it is done from one more read that returns
      // nothing, and a client that hangs up on the last byte (curl does) closes the response first.
      const bounds = range ?? (size > 0 ? { start: 0, end: size - 1 } : undefined)
      const body = createReadStream('', { fd, autoClose: true, ...(bounds ? { start: bounds.start, end: bounds.end } : {}) })
      return { body, size, ...(range ? { range } : {}) }
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true })
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.localPath(key)).then(
      (info) => info.isFile(),
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false
        throw error
      },
    )
  }

  async list(folder: string): Promise<string[]> {
    assertStorageFolder(folder)
    const entries = await readdir(join(this.root, folder), { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    })
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort()
  }

  localPath(key: string): string {
    assertStorageKey(key)
    const path = resolve(this.root, key)
    if (!path.startsWith(this.root + sep)) throw new Error(`Storage key "${key}" leaves the storage directory`)
    return path
  }

  async close(): Promise<void> {}
}
