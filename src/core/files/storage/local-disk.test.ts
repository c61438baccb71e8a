import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { filesUnder } from '../../../../test/helpers/files.js'
import { LocalDiskStorage } from './local-disk.js'
import { storageKey } from './storage.js'

const ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'

function failingStream(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from('partial ')
      throw new Error('client went away')
    })(),
  )
}

describe('LocalDiskStorage', () => {
  it('puts, reads (whole and by range), checks and deletes an object', async () => {
    const storage = new LocalDiskStorage(mkdtempSync(join(tmpdir(), 'plinth-storage-')))
    const key = storageKey(ID)
    await storage.put(key, Readable.from([Buffer.from('hello '), Buffer.from('world')]))
    expect(await storage.exists(key)).toBe(true)
    const whole = await storage.get(key)
    expect(whole?.size).toBe(11)
    expect(await text(whole!.body)).toBe('hello world')
    const part = await storage.get(key, { start: 6, end: 10 })
    expect(part).toMatchObject({ size: 11, range: { start: 6, end: 10 } })
    expect(await text(part!.body)).toBe('world')
    await storage.delete(key)
    expect(await storage.exists(key)).toBe(false)
    expect(await storage.get(key)).toBeNull()
    await storage.delete(key)
  })

  it('reads an empty object as an empty body', async () => {
    const storage = new LocalDiskStorage(mkdtempSync(join(tmpdir(), 'plinth-storage-')))
    const key = storageKey(ID)
    await storage.put(key, Readable.from([]))
    const empty = await storage.get(key)
    expect(empty?.size).toBe(0)
    expect(await text(empty!.body)).toBe('')
  })

  it('leaves nothing, not even a temp file, when the stream fails', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plinth-storage-'))
    const storage = new LocalDiskStorage(root)
    await expect(storage.put(storageKey(ID), failingStream())).rejects.toThrow('client went away')
    expect(filesUnder(root)).toEqual([])
  })

  it('refuses keys that are not its own: traversal, absolute, hidden segments', () => {
    const storage = new LocalDiskStorage(mkdtempSync(join(tmpdir(), 'plinth-storage-')))
    for (const key of ['../outside', 'originals/../../x', '/etc/passwd', 'originals/.tmp', 'Originals/x', 'single']) {
      expect(() => storage.localPath(key), key).toThrow(/Invalid storage key/)
    }
  })
})
