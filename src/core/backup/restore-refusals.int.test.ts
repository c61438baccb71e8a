import { createWriteStream, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backupLines, connectTo, emptyDatabase, shape, restoreInto, tempDir, writeBackupLines } from '../../../test/helpers/backups.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import type { Database } from '../db/client.js'
import { writeBackup } from './backup.service.js'
import { BackupFileError, BackupRefusedError, type BackupHeader } from './format.js'
import { localMigrations, seededTables } from './migration-version.js'

let source: { database: Database; release: () => Promise<void> }
const dir = tempDir()
let backup: string
const targets: { drop: () => Promise<void> }[] = []

beforeAll(async () => {
  source = await privateDatabase()
  const sql = connectTo(source.database.url)
  try {
    const [user] = await sql<{ id: string }[]>`insert into users (id, email, name) values (gen_random_uuid(), 'kept@example.test', 'Kept') returning id`
    await sql`insert into sessions (id, user_id, current_token_sealed, expires_at) values (gen_random_uuid(), ${user!.id}, 'sealed', now() + interval '1 day')`
    // Enough rows that the compressed data spans more than a few bytes (a cut file must end inside it).
    await sql`insert into audit_log (id, action, details) select gen_random_uuid(), 'filler', jsonb_build_object('n', n) from generate_series(1, 3000) n`
  } finally {
    await sql.end()
  }
  backup = join(dir, 'good.backup')
  await writeBackup(source.database.url, createWriteStream(backup))
})

afterAll(async () => {
  for (const target of targets) await target.drop()
  await source?.release()
})

async function newTarget(): Promise<string> {
  const target = await emptyDatabase()
  targets.push(target)
  return target.url
}

/** Restoring `path` into a new empty database fails with `error`, and the database is left exactly as it was. */
async function refusedIntoEmpty(path: string, error: RegExp, type: typeof BackupFileError | typeof BackupRefusedError = BackupFileError): Promise<void> {
  const target = await newTarget()
  const before = await shape(target)
  const failure = restoreInto(target, path)
  await expect(failure).rejects.toThrow(error)
  await expect(failure).rejects.toBeInstanceOf(type)
  expect(await shape(target)).toEqual(before)
  expect(before.tables).toEqual([])
}

function withHeader(edit: (header: BackupHeader) => BackupHeader): string {
  const [header, ...rest] = backupLines(backup)
  return writeBackupLines([JSON.stringify(edit(JSON.parse(header!) as BackupHeader)), ...rest])
}

describe('restore refuses, changing nothing', () => {
  it('into a database that already has rows', async () => {
    const own = await privateDatabase()
    try {
      const sql = connectTo(own.database.url)
      await sql`insert into users (id, email, name) values (gen_random_uuid(), 'present@example.test', 'Present')`
      await sql.end()
      const before = await shape(own.database.url)

      await expect(restoreInto(own.database.url, backup)).rejects.toThrow(/The target database is not empty: users has rows/)
      expect(await shape(own.database.url)).toEqual(before)
    } finally {
      await own.release()
    }
  })

  it('into a database migrated by another Plinth version', async () => {
    const target = await newTarget()
    const sql = connectTo(target)
    try {
      await sql.unsafe(`create schema drizzle; create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`)
      await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('not-one-of-ours', 1)`
    } finally {
      await sql.end()
    }
    const before = await shape(target)
    await expect(restoreInto(target, backup)).rejects.toThrow(/1 migrations applied that are not this Plinth's.*another Plinth version/)
    expect(await shape(target)).toEqual(before)
  })

  it('a file that is not a backup', async () => {
    const text = join(dir, 'notes.txt')
    writeFileSync(text, 'hello\n')
    await refusedIntoEmpty(text, /notes\.txt is not a Plinth backup \(it is not gzip-compressed\)/)
    await refusedIntoEmpty(writeBackupLines(['{"format":"something-else"}']), /is not a Plinth backup \(its header names no "plinth-backup" format\)/)
    await refusedIntoEmpty(writeBackupLines(['just text']), /is not a Plinth backup \(it does not start with a Plinth backup header\)/)
    await refusedIntoEmpty(join(dir, 'missing.backup'), /missing\.backup does not exist/)
  })

  it('a file of a newer format version', async () => {
    await refusedIntoEmpty(
      withHeader((header) => ({ ...header, version: 2 }) as unknown as BackupHeader),
      /format version 2; this Plinth reads version 1/,
    )
  })

  it('a truncated file', async () => {
    const bytes = readFileSync(backup)
    expect(bytes.length).toBeGreaterThan(4096)
    const cut = join(dir, 'cut.backup')
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await refusedIntoEmpty(cut, /cut\.backup is truncated/)
  })

  it('a file cut at a line end and compressed again (no end, or rows missing)', async () => {
    const lines = backupLines(backup)
    await refusedIntoEmpty(writeBackupLines(lines.slice(0, -1)), /its end is missing after the last table/)
    const audit = lines.findIndex((line, i) => i > 0 && line.includes('filler'))
    await refusedIntoEmpty(writeBackupLines([...lines.slice(0, audit), ...lines.slice(audit + 1)]), /the rows read do not match the counts written at its end/)
    await refusedIntoEmpty(writeBackupLines(lines.slice(0, 3)), /truncated: it ends inside a table's rows/)
  })

  it('a corrupt file', async () => {
    const bytes = Buffer.from(readFileSync(backup))
    const middle = Math.floor(bytes.length / 2)
    bytes[middle] = bytes[middle]! ^ 0xff
    const corrupt = join(dir, 'corrupt.backup')
    writeFileSync(corrupt, bytes)
    await refusedIntoEmpty(corrupt, /corrupt\.backup is (corrupt|truncated)/)
  })

  it('a backup made at an older migration, saying which versions and what to do', async () => {
    const local = localMigrations()
    const previous = local.at(-2)!
    const latest = local.at(-1)!
    const older = withHeader((header) => ({ ...header, plinthVersion: '0.0.9', migrations: { count: local.length - 1, lastHash: previous.hash, lastTag: previous.tag } }))
    await refusedIntoEmpty(
      older,
      new RegExp(
        `made by Plinth 0\\.0\\.9 at migration ${local.length - 1} \\(${previous.tag}\\); this is Plinth \\S+ at migration ${local.length} \\(${latest.tag}\\)\\. Restore it with Plinth 0\\.0\\.9 .*then start this Plinth`,
      ),
      BackupRefusedError,
    )
  })

  it('a backup made by a newer Plinth', async () => {
    // One migration more than this Plinth has, whatever it has.
    const count = localMigrations().length + 1
    const tag = `${String(count - 1).padStart(4, '0')}_future`
    const newer = withHeader((header) => ({ ...header, plinthVersion: '9.0.0', migrations: { count, lastHash: 'f'.repeat(64), lastTag: tag } }))
    await refusedIntoEmpty(newer, new RegExp(`at migration ${count} \\(${tag}\\).*newer than this Plinth: upgrade Plinth to 9\\.0\\.0 or later`), BackupRefusedError)
  })

  it('rolls back every table when rows of a later table fail to load', async () => {
    // A session whose user is not in the file: its foreign key fails at the end of the sessions COPY.
    const lines = backupLines(backup)
    const header = JSON.parse(lines[0]!) as BackupHeader
    const usersAt = header.tables.findIndex((table) => table.name === 'users')
    // The users section is the usersAt-th `\.`-terminated block after the header.
    let block = 0
    const edited = lines.filter((line, i) => {
      if (i === 0) return true
      const inUsers = block === usersAt && line !== '\\.'
      if (line === '\\.') block++
      return !inUsers
    })
    const trailer = JSON.parse(edited.at(-1)!) as { rows: { table: string; rows: number }[] }
    trailer.rows = trailer.rows.map((entry) => (entry.table === 'users' ? { ...entry, rows: 0 } : entry))
    const broken = writeBackupLines([...edited.slice(0, -1), JSON.stringify(trailer)])
    const target = await newTarget()

    await expect(restoreInto(target, broken)).rejects.toMatchObject({ code: '23503' })
    const after = await shape(target)
    // The migrations ran (the database is as `npm run db:migrate` leaves it, with the rows they seed) but not one row of the backup was kept.
    expect(after.tables).toContain('audit_log')
    const seeded = seededTables()
    expect(seeded).toContain('colorbook_plans')
    expect(Object.entries(after.rows).filter(([table]) => !seeded.has(table)).flatMap(([, rows]) => rows)).toEqual([])
    expect(after.rows.colorbook_plans).toHaveLength(3)
    // So it is still an empty target: the good backup restores into it.
    await expect(restoreInto(target, backup)).resolves.toMatchObject({ totalRows: expect.any(Number) })
  })
})

describe('reading damaged gzip', () => {
  it('says so for bytes that are gzip in name only', async () => {
    const fake = join(dir, 'fake.backup')
    writeFileSync(fake, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('definitely not deflate data')]))
    await refusedIntoEmpty(fake, /fake\.backup is (corrupt|truncated)/)
  })
})
