import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { image } from '../../../test/helpers/files.js'
import type { FileRow } from './db/schema.js'
import type { FilesRepository } from './files.repository.js'
import type { StorageDriver } from './storage/storage.js'
import { ThumbnailMaker } from './thumbnails.js'

const log = pino({ level: 'silent' })

async function setup(put: StorageDriver['put']) {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-thumb-'))
  writeFileSync(join(dir, 'original'), await image('png', 64, 64))
  const row = { id: '00000000-0000-4000-8000-000000000001', ownerId: 'u', contentType: 'image/png', storageKey: 'original', thumbnailKey: null, thumbnailStatus: 'pending' } as FileRow
  const repository = {
    findById: vi.fn(async () => row),
    setThumbnail: vi.fn(async (_id: string, key: string | null) => ({ ...row, thumbnailKey: key, thumbnailStatus: key ? 'ready' : 'failed' })),
  }
  const storage = { kind: 'local', localPath: (key: string) => join(dir, key), put, delete: vi.fn() } as unknown as StorageDriver
  return { repository, maker: new ThumbnailMaker(repository as unknown as FilesRepository, storage, log) }
}

describe('ThumbnailMaker', () => {
  it('throws when storage is down, leaving the file pending so the job is retried', async () => {
    const { repository, maker } = await setup(() => Promise.reject(new Error('storage unreachable')))
    await expect(maker.make('00000000-0000-4000-8000-000000000001')).rejects.toThrow('storage unreachable')
    expect(repository.setThumbnail).not.toHaveBeenCalled()
  })

  it('records the thumbnail once stored', async () => {
    const { repository, maker } = await setup(async (_key, body) => {
      for await (const chunk of body) void chunk
    })
    expect(await maker.make('00000000-0000-4000-8000-000000000001')).toMatchObject({ thumbnailStatus: 'ready' })
    expect(repository.setThumbnail).toHaveBeenCalledWith('00000000-0000-4000-8000-000000000001', expect.stringMatching(/\.webp$/))
  })
})
