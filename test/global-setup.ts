import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { createDatabase } from '../src/core/db/client.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string
  }
}

/**
 * Migrates once per run. On PGlite a migrated data directory is dumped to a file that every
 * test file loads (≈1 s instead of a 3–6 s fresh boot); on PostgreSQL the run's database is
 * migrated in place and test files share it, isolated by unique data.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-test-'))
  const url = process.env.DATABASE_URL
  const database = await createDatabase({ url, poolSize: 1, dataDir: dir, memory: {} })
  await database.migrate()
  if (database.snapshot) {
    const snapshot = join(dir, 'migrated.tar')
    writeFileSync(snapshot, Buffer.from(await (await database.snapshot()).arrayBuffer()))
    project.provide('pgliteSnapshot', snapshot)
  } else {
    project.provide('pgliteSnapshot', '')
  }
  await database.close()
  return () => rmSync(dir, { recursive: true, force: true })
}
