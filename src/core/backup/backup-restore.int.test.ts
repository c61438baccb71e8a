import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { testConfig } from '../../../test/helpers/app.js'
import { login, loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { backupLines, connectTo, contents, emptyDatabase, restoreInto, tempDir } from '../../../test/helpers/backups.js'
import { addCylinders, moved, createLocation } from '../../../test/helpers/cylinders.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { createDatabase, type Database } from '../db/client.js'
import { verifyBackup } from './backup-reader.js'
import { writeBackup, type BackupOptions, type BackupSummary } from './backup.service.js'
import { localMigrations } from './migration-version.js'

// Plinth has no serial or identity column today; these stand in for one so sequence handling is tested.
const COUNTER_TABLE = `create table public.backup_test_counter (id serial primary key, label text not null)`
const STANDALONE_SEQUENCE = `create sequence public.backup_test_standalone`
// Values COPY's text format must escape: a lone `\.` is the end-of-rows marker, the others are its separators.
const AWKWARD_LABELS = ['\\.', 'line one\nline two', 'tab\there', 'back\\slash', 'ünïcødé ✓', '', '\\N']

let source: { database: Database; url: string; release: () => Promise<void> }
let app: FastifyInstance
let worker: TestUser
let admin: TestUser
const targets: { drop: () => Promise<void> }[] = []
const dir = tempDir()

beforeAll(async () => {
  const own = await privateDatabase()
  source = { database: own.database, url: own.database.url, release: own.release }
  app = await buildApp(testConfig(), { database: source.database, migrate: false })
  await app.ready()
  admin = await loginAs(app, 'admin')
  worker = await loginAs(app, 'worker')
  await registerUser(app)
  const cylinders = await addCylinders(app, admin, 3)
  const customer = await createLocation(app, 'customer')
  await moved(app, worker, 'ship', { cylinderIds: cylinders.map((cylinder) => cylinder.id), locationId: customer.id })
  const sql = connectTo(source.url)
  try {
    await sql.unsafe(COUNTER_TABLE)
    for (const label of AWKWARD_LABELS) await sql`insert into backup_test_counter (label) values (${label})`
    // Values taken and never used (a rolled-back insert does this), then one set by hand past them all.
    await sql`select nextval('backup_test_counter_id_seq') from generate_series(1, 2)`
    await sql`insert into backup_test_counter (id, label) values (20, 'by hand')`
    await sql.unsafe(STANDALONE_SEQUENCE)
    await sql`select nextval('backup_test_standalone') from generate_series(1, 7)`
  } finally {
    await sql.end()
  }
})

afterAll(async () => {
  await app?.close()
  for (const target of targets) await target.drop()
  await source?.release()
})

async function backupFile(options: BackupOptions = {}): Promise<{ path: string; summary: BackupSummary }> {
  const path = join(dir, `${crypto.randomUUID()}.backup`)
  const summary = await writeBackup(source.url, createWriteStream(path), options)
  return { path, summary }
}

/** A new, empty database holding only the stand-ins for a serial column and a sequence (no migrations, no rows). */
async function newTarget(): Promise<string> {
  const target = await emptyDatabase()
  targets.push(target)
  const sql = connectTo(target.url)
  try {
    await sql.unsafe(COUNTER_TABLE)
    await sql.unsafe(STANDALONE_SEQUENCE)
  } finally {
    await sql.end()
  }
  return target.url
}

describe('backup and restore', () => {
  it('restores every row of every table into a fresh database, awkward values included', async () => {
    const { path, summary } = await backupFile()
    const target = await newTarget()

    const restored = await restoreInto(target, path)

    const before = await contents(source.url)
    const after = await contents(target)
    expect(after).toEqual(before)
    expect(after.users!.length).toBe(3)
    expect(after.cylinders!.length).toBe(3)
    expect(after.backup_test_counter!.map((row) => (JSON.parse(row) as { label: string }).label)).toEqual(expect.arrayContaining(AWKWARD_LABELS))
    expect(restored.rows).toEqual(summary.rows)
    expect(restored.totalRows).toBe(Object.values(before).reduce((sum, rows) => sum + rows.length, 0))
    expect(summary.bytes).toBeGreaterThan(0)
  })

  it('replaces the rows the migrations seed (the default plans) with the backup\'s, edited ones included', async () => {
    const sql = connectTo(source.url)
    try {
      await sql`update colorbook_plans set projects = 3 where id = 'free'`
    } finally {
      await sql.end()
    }
    const { path } = await backupFile()
    const target = await newTarget()

    await restoreInto(target, path)

    const plans = (await contents(target)).colorbook_plans!.map((row) => JSON.parse(row) as { id: string; projects: number | null })
    expect(plans).toHaveLength(3)
    expect(plans.find((plan) => plan.id === 'free')?.projects).toBe(3)
  })

  it('writes a self-describing file: format, migration version, server version, tables with columns, row counts', async () => {
    const { path, summary } = await backupFile()
    const { header, trailer } = await verifyBackup(path)
    const local = localMigrations()
    expect(header).toMatchObject({ format: 'plinth-backup', version: 1, migrations: { count: local.length, lastTag: local.at(-1)!.tag } })
    expect(header.postgresVersion).toMatch(/^\d+/)
    expect(header.tables.find((table) => table.name === 'users')?.columns).toEqual(expect.arrayContaining(['id', 'email', 'password_hash']))
    expect(header.tables.map((table) => table.name)).not.toContain('job')
    expect(trailer.rows).toEqual(summary.rows)
    // Referenced tables come first: users before sessions, locations before cylinders before shipment items.
    const order = header.tables.map((table) => table.name)
    expect(order.indexOf('users')).toBeLessThan(order.indexOf('sessions'))
    expect(order.indexOf('sessions')).toBeLessThan(order.indexOf('refresh_tokens'))
    expect(order.indexOf('cylinder_locations')).toBeLessThan(order.indexOf('cylinders'))
    expect(order.indexOf('cylinders')).toBeLessThan(order.indexOf('cylinder_shipment_items'))
    expect(backupLines(path).at(-1)).toContain('"end":"plinth-backup"')
  })

  it('lets users sign in and keep their sessions on the restored database', async () => {
    const { path } = await backupFile()
    const target = await newTarget()
    await restoreInto(target, path)

    const database = await createDatabase({ url: target, poolSize: 2, dataDir: '/nonexistent' })
    const restoredApp = await buildApp(testConfig(), { database, migrate: false })
    try {
      await restoredApp.ready()
      const again = await login(restoredApp, worker.email, worker.password)
      expect(again.id).toBe(worker.id)
      // A refresh token issued before the backup still works: sessions and their sealed tokens came along.
      const refreshed = await restoredApp.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: admin.refreshToken } })
      expect(refreshed.statusCode, refreshed.body).toBe(200)
    } finally {
      await restoredApp.close()
      await database.close()
    }
  })

  it('sets sequences past the restored values and never below the backed-up state', async () => {
    const { path } = await backupFile()
    const target = await newTarget()
    await restoreInto(target, path)

    const sql = connectTo(target)
    try {
      const [row] = await sql<{ id: number }[]>`insert into backup_test_counter (label) values ('after restore') returning id`
      expect(row!.id).toBe(21)
      const [next] = await sql<{ value: string }[]>`select nextval('backup_test_standalone')::text as value`
      expect(next!.value).toBe('8')
    } finally {
      await sql.end()
    }
  })

  it('is one snapshot: a transaction committed while the backup runs is wholly absent from it', async () => {
    let writtenDuring: { userId: string } | undefined
    const { path, summary } = await backupFile({
      // After the first table, while the others are still to be read, commit rows into it and into a later one.
      onTable: async ({ table }) => {
        if (writtenDuring || table !== 'audit_log') return
        const sql = connectTo(source.url)
        try {
          await sql.begin(async (tx) => {
            const [user] = await tx<{ id: string }[]>`insert into users (id, email, name) values (gen_random_uuid(), ${`${crypto.randomUUID()}@example.test`}, 'During') returning id`
            await tx`insert into audit_log (id, action, target_id) values (gen_random_uuid(), 'backup.test', ${user!.id})`
            writtenDuring = { userId: user!.id }
          })
        } finally {
          await sql.end()
        }
      },
    })
    const order = summary.header.tables.map((table) => table.name)
    expect(order[0]).toBe('audit_log')
    expect(order.indexOf('users')).toBeGreaterThan(0)
    expect(writtenDuring).toBeDefined()
    const live = await contents(source.url)
    expect(live.users!.some((row) => row.includes(writtenDuring!.userId))).toBe(true)

    const target = await newTarget()
    await restoreInto(target, path)
    const restored = await contents(target)
    expect(restored.users!.some((row) => row.includes(writtenDuring!.userId))).toBe(false)
    expect(restored.audit_log!.some((row) => row.includes(writtenDuring!.userId))).toBe(false)
    expect(restored.users!.length).toBe(live.users!.length - 1)
  })
})
