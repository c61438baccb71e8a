import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import type { FastifyBaseLogger } from 'fastify'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { connectTo, tempDir } from '../../../test/helpers/backups.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { captureLogs } from '../../../test/helpers/logs.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { closeTestDatabase } from '../../../test/helpers/database.js'
import { withDatabaseName } from '../db/connection.js'
import { localMigrations } from './migration-version.js'
import type { Database } from '../db/client.js'
import { LocalDiskStorage, S3Storage, storageKey, type StorageDriver } from '../files/storage/index.js'
import type { JobContext } from '../jobs/index.js'
import { verifyBackup } from './backup-reader.js'
import { backupJobs, runScheduledBackup } from './backup.job.js'

const BUCKET = 'plinth-backups-test'
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
const DAY = 86_400_000

let source: { database: Database; release: () => Promise<void> }
let s3rver: S3rver
const drivers: Record<'local' | 's3', StorageDriver> = {} as never
const localRoot = tempDir()

beforeAll(async () => {
  source = await privateDatabase()
  const sql = connectTo(source.database.url)
  await sql`insert into users (id, email, name) values (gen_random_uuid(), 'scheduled@example.test', 'Scheduled')`
  await sql.end()
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: mkdtempSync(join(tmpdir(), 'plinth-s3rver-')), configureBuckets: [{ name: BUCKET }] })
  const { port } = await s3rver.run()
  drivers.local = new LocalDiskStorage(localRoot)
  drivers.s3 = new S3Storage({ bucket: BUCKET, region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials })
})

afterAll(async () => {
  for (const driver of Object.values(drivers)) await driver.close()
  await s3rver?.close()
  await source?.release()
})

/** A clock that moves a day per call, so each backup gets its own name. */
function days(start = Date.UTC(2026, 0, 1, 3)): () => Date {
  let next = start
  return () => new Date((next += DAY))
}

/** A stored backup, downloaded and read whole. */
async function readStored(storage: StorageDriver, key: string) {
  const object = await storage.get(key)
  const path = join(tempDir(), 'downloaded.backup')
  await writeFile(path, await buffer(object!.body))
  return verifyBackup(path)
}

describe.each(['local', 's3'] as const)('scheduled backups on %s storage', (kind) => {
  it('writes each backup under backups/ and keeps the newest BACKUP_KEEP', async () => {
    const storage = drivers[kind]
    // A user's file beside them, which pruning must never touch.
    const userFile = storageKey(crypto.randomUUID())
    await storage.put(userFile, Readable.from([Buffer.from('user bytes')]), { contentType: 'text/plain' })
    const now = days()
    const options = { url: source.database.url, storage, cron: '0 3 * * *', keep: 2, now }

    const results = []
    for (let run = 0; run < 4; run++) results.push(await runScheduledBackup(options))

    const keys = results.map((result) => result.key)
    expect(keys[0]).toBe('backups/plinth-2026-01-02t03-00-00z.backup')
    expect(results.map((result) => result.pruned)).toEqual([[], [], [keys[0]], [keys[1]]])
    expect(await storage.list('backups')).toEqual(keys.slice(2))
    expect(await storage.exists(userFile)).toBe(true)
    const { header, trailer } = await readStored(storage, keys[3]!)
    expect(header.migrations.count).toBe(localMigrations().length)
    expect(trailer.rows.find((entry) => entry.table === 'users')?.rows).toBe(1)
    expect(results[3]!.summary.bytes).toBe((await storage.get(keys[3]!))!.size)
  })

  it('leaves nothing in storage when the backup fails', async () => {
    const storage = drivers[kind]
    const before = await storage.list('backups')
    const options = { url: withDatabaseName(source.database.url, 'plinth_no_such_database'), storage, cron: undefined, keep: 2, now: days(Date.UTC(2030, 0, 1)) }

    await expect(runScheduledBackup(options)).rejects.toThrow(/plinth_no_such_database/)
    expect(await storage.list('backups')).toEqual(before)
    if (kind === 'local') expect(existsSync(join(localRoot, '.tmp')) ? readdirSync(join(localRoot, '.tmp')) : []).toEqual([])
  })
})

describe('the backup job', () => {
  it('is scheduled by BACKUP_CRON only, and logs what it wrote without the connection URL', async () => {
    const storage = drivers.local
    const [scheduled] = backupJobs({ url: source.database.url, storage, cron: '30 2 * * 0', keep: 7 })
    const [unscheduled] = backupJobs({ url: source.database.url, storage, cron: undefined, keep: 7 })
    expect(scheduled).toMatchObject({ name: 'backup.create', schedule: { cron: '30 2 * * 0' } })
    expect(unscheduled!.schedule).toBeUndefined()

    const info = vi.fn()
    await scheduled!.handle({}, { id: 'job', name: 'backup.create', attempt: 1, maxAttempts: 2, log: { info } as unknown as FastifyBaseLogger, signal: new AbortController().signal } satisfies JobContext)
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ key: expect.stringMatching(/^backups\/plinth-/), tables: expect.any(Number), rows: expect.any(Number), bytes: expect.any(Number) }), 'backup: written to storage')
    expect(JSON.stringify(info.mock.calls)).not.toContain(source.database.url)
  })
})

describe('the app with BACKUP_CRON', () => {
  afterAll(() => closeTestDatabase())

  it('registers the schedule, and a run stores the backup apart from user files and quotas', async () => {
    const logs = captureLogs()
    const app = await buildTestApp({ env: { BACKUP_CRON: '15 4 * * *', BACKUP_KEEP: '3', LOG_LEVEL: 'info' }, logStream: logs.stream })
    try {
      expect(await app.platform.jobs.schedules()).toContainEqual(expect.objectContaining({ name: 'backup.create', cron: '15 4 * * *', timezone: 'UTC' }))
      const user = await loginAs(app)
      expect((await uploadFile(app, user, { content: 'notes', filename: 'notes.txt' })).statusCode).toBe(201)
      const usage = async () => (await app.inject({ url: '/api/files/usage', headers: user.headers })).json<{ bytesUsed: number; files: number }>()
      const before = await usage()

      await app.platform.jobs.send('backup.create', {})
      const line = await logs.waitForLine((entry) => entry.msg === 'backup: written to storage', 30_000)

      const storage = new LocalDiskStorage((app.platform.config.files.storage as { root: string }).root)
      expect(await storage.list('backups')).toEqual([line.key])
      expect(await usage()).toEqual(before)
      expect(logs.lines.join('')).not.toContain(app.platform.database.url)
    } finally {
      await app.close()
    }
    const unscheduled = await buildTestApp()
    try {
      expect((await unscheduled.platform.jobs.schedules()).map((schedule) => schedule.name)).not.toContain('backup.create')
    } finally {
      await unscheduled.close()
    }
  })
})
