import { readFileSync } from 'node:fs'
import { inject } from 'vitest'
import { createDatabase, type Database } from '../../src/core/db/client.js'

let shared: Promise<Database> | undefined

/**
 * The test file's database: a copy of the migrated embedded snapshot, or a small pool on the
 * run's PostgreSQL database (DATABASE_URL). Loaded once per file and closed by `closeTestDatabase`.
 */
export function testDatabase(): Promise<Database> {
  shared ??= open()
  return shared
}

export async function closeTestDatabase(): Promise<void> {
  const database = shared
  shared = undefined
  await (await database)?.close()
}

async function open(): Promise<Database> {
  const url = process.env.DATABASE_URL
  if (url) return createDatabase({ url, poolSize: 4, dataDir: '/nonexistent' })
  const snapshot = new Blob([readFileSync(inject('pgliteSnapshot'))])
  return createDatabase({ url: undefined, poolSize: 1, dataDir: '/nonexistent', memory: { snapshot } })
}
