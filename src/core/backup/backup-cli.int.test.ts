import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { TEST_SECRETS, testConfig } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { contents, emptyDatabase, shape, tempDir } from '../../../test/helpers/backups.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { nodeArguments, runScript } from '../../../test/helpers/server-process.js'
import type { Database } from '../db/client.js'
import { verifyBackup } from './backup-reader.js'

let source: { database: Database; release: () => Promise<void> }
const targets: { drop: () => Promise<void> }[] = []
const dir = tempDir()

beforeAll(async () => {
  source = await privateDatabase()
  // Booting an app writes the ENCRYPTION_KEY check value; a user signs in (password hash, sealed session token).
  const app = await buildApp(testConfig(), { database: source.database, migrate: false })
  await app.ready()
  await loginAs(app, 'admin')
  await app.close()
})

afterAll(async () => {
  for (const target of targets) await target.drop()
  await source?.release()
})

const env = (overrides: Record<string, string | undefined> = {}) => ({ NODE_ENV: 'test', DATA_DIR: tempDir(), ...TEST_SECRETS, ...overrides })
const cli = (args: string[], overrides: Record<string, string | undefined>) => runScript('src/cli.ts', args, env(overrides))

async function newTarget(): Promise<string> {
  const target = await emptyDatabase()
  targets.push(target)
  return target.url
}

describe('npm run cli -- backup / restore', () => {
  it('backs up one DATABASE_URL and restores into another, then refuses to restore over it', async () => {
    const file = join(dir, 'moved.backup')
    const backup = await cli(['backup', file], { DATABASE_URL: source.database.url })
    expect(backup.output).toMatch(/^Backup written to .*moved\.backup: \d+ tables, \d+ rows, [\d.]+ (B|KiB) \(PostgreSQL \d+/m)
    expect(backup.code).toBe(0)
    expect(readdirSync(dir)).toEqual(['moved.backup'])
    await verifyBackup(file)

    const target = await newTarget()
    const restored = await cli(['restore', file], { DATABASE_URL: target })
    expect(restored.output).toMatch(/^Restored .*moved\.backup into the DATABASE_URL database: \d+ tables, \d+ rows \(written .* by Plinth /m)
    expect(restored.output).not.toContain('warning')
    expect(restored.code).toBe(0)
    expect(await contents(target)).toEqual(await contents(source.database.url))

    const before = await shape(target)
    const again = await cli(['restore', file], { DATABASE_URL: target })
    expect(again.code).toBe(1)
    expect(again.output).toContain('plinth: The target database is not empty: ')
    expect(await shape(target)).toEqual(before)
  })

  it('never overwrites a file, and refuses bad arguments with the usage', async () => {
    const file = join(dir, 'taken.backup')
    expect((await cli(['backup', file], { DATABASE_URL: source.database.url })).code).toBe(0)
    const again = await cli(['backup', file], { DATABASE_URL: source.database.url })
    expect(again.code).toBe(1)
    expect(again.output).toContain('taken.backup already exists: choose another file name')
    expect(existsSync(`${file}.partial`)).toBe(false)

    const noFile = await cli(['restore'], {})
    expect(noFile.code).toBe(2)
    expect(noFile.output).toContain('restore needs the backup file')
    expect(noFile.output).toContain('Usage: npm run cli')
    expect((await cli(['backup', 'a', 'b'], {})).code).toBe(2)
  })

  it('writes to standard output with `-`, reporting on standard error', async () => {
    const child = spawn(process.execPath, [...nodeArguments('src/cli.ts'), 'backup', '-'], { env: { PATH: process.env.PATH ?? '', ...env({ DATABASE_URL: source.database.url }) }, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(err).toContain('Backup written to standard output')
    expect(code).toBe(0)
    const first = gunzipSync(Buffer.concat(out)).toString('utf8').split('\n')[0]!
    expect(JSON.parse(first)).toMatchObject({ format: 'plinth-backup', version: 1 })
  })

  it('warns after restoring when this configuration has another ENCRYPTION_KEY', async () => {
    const file = join(dir, 'keyed.backup')
    expect((await cli(['backup', file], { DATABASE_URL: source.database.url })).code).toBe(0)
    const restored = await cli(['restore', file], { DATABASE_URL: await newTarget(), ENCRYPTION_KEY: '22'.repeat(32) })
    expect(restored.code).toBe(0)
    expect(restored.output).toContain('plinth warning: The restored data was encrypted with another ENCRYPTION_KEY than ENCRYPTION_KEY as set')
  })

  it('restores into an empty DATA_DIR on the embedded server, and from there into a DATABASE_URL again', async () => {
    const file = join(dir, 'to-embedded.backup')
    const first = await cli(['backup', file], { DATABASE_URL: source.database.url })
    expect(first.code).toBe(0)
    const dataDir = tempDir()

    const restored = await cli(['restore', file], { DATA_DIR: dataDir, DATABASE_URL: undefined })
    expect(restored.output).toContain(`into the embedded database in ${dataDir}`)
    expect(restored.code).toBe(0)
    const again = await cli(['backup', join(dir, 'from-embedded.backup')], { DATA_DIR: dataDir, DATABASE_URL: undefined })
    expect(again.code).toBe(0)

    const [before, after] = [await verifyBackup(file), await verifyBackup(join(dir, 'from-embedded.backup'))]
    expect(after.trailer.rows).toEqual(before.trailer.rows)
    expect(after.header.postgresVersion).toMatch(/^18\./)

    // Back out of the embedded PostgreSQL 18 into the test server: the same rows as at the start.
    const target = await newTarget()
    expect((await cli(['restore', join(dir, 'from-embedded.backup')], { DATABASE_URL: target })).code).toBe(0)
    expect(await contents(target)).toEqual(await contents(source.database.url))
  })
})
