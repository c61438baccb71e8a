import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrationsFolder } from '../db/paths.js'
import type { MigrationVersion } from './format.js'

export interface LocalMigration {
  readonly tag: string
  /** What drizzle's migrator stores: SHA-256 of the SQL file. */
  readonly hash: string
}

/** This Plinth's migrations, from drizzle/meta/_journal.json and the SQL files, as drizzle's migrator reads them. */
export function localMigrations(folder = migrationsFolder()): LocalMigration[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }
  return journal.entries.map(({ tag }) => ({ tag, hash: createHash('sha256').update(readFileSync(join(folder, `${tag}.sql`), 'utf8')).digest('hex') }))
}

/**
 * The tables this Plinth's migrations fill with reference rows (an `INSERT INTO "<table>"` in a
 * migration, e.g. colorbook's default plans): a freshly migrated database holds those rows, so a
 * restore does not count them as data, and replaces them with the backup's.
 */
export function seededTables(folder = migrationsFolder()): Set<string> {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }
  const tables = new Set<string>()
  for (const { tag } of journal.entries) {
    for (const match of readFileSync(join(folder, `${tag}.sql`), 'utf8').matchAll(/\binsert\s+into\s+(?:"public"\.)?"([a-z0-9_]+)"/gi)) tables.add(match[1]!)
  }
  return tables
}

/** A database's version from its applied hashes (oldest first), named by this Plinth's tags where it knows them. */
export function versionOf(appliedHashes: readonly string[], local: readonly LocalMigration[]): MigrationVersion {
  const lastHash = appliedHashes.at(-1) ?? null
  return { count: appliedHashes.length, lastHash, lastTag: local.find((migration) => migration.hash === lastHash)?.tag ?? null }
}

/** Whether the applied migrations are this Plinth's first ones (all of them, or fewer), hash for hash. */
export function isPrefixOf(appliedHashes: readonly string[], local: readonly LocalMigration[]): boolean {
  return appliedHashes.length <= local.length && appliedHashes.every((hash, i) => local[i]!.hash === hash)
}

const describe = (version: MigrationVersion): string => `migration ${version.count}${version.lastTag ? ` (${version.lastTag})` : ''}`

/**
 * Why a backup cannot be restored by this Plinth, or undefined when their migrations are the same.
 * Rows fit only the schema they were read from, so the versions must match exactly.
 */
export function versionMismatch(backup: MigrationVersion, backupPlinth: string, local: readonly LocalMigration[], ourPlinth: string): string | undefined {
  const ours = versionOf(
    local.map((migration) => migration.hash),
    local,
  )
  if (backup.count === ours.count && backup.lastHash === ours.lastHash) return undefined
  const theirs = `The backup was made by Plinth ${backupPlinth} at ${describe(backup)}; this is Plinth ${ourPlinth} at ${describe(ours)}.`
  const olderThanOurs = backup.count < ours.count && (backup.count === 0 || local[backup.count - 1]!.hash === backup.lastHash)
  if (olderThanOurs) {
    return `${theirs} Restore it with Plinth ${backupPlinth} (the version that made it), then start this Plinth on that database: it applies the newer migrations at start.`
  }
  if (backup.count > ours.count) return `${theirs} The backup is newer than this Plinth: upgrade Plinth to ${backupPlinth} or later, then restore.`
  return `${theirs} Their migration histories differ: restore it with Plinth ${backupPlinth}, the version that made it.`
}
