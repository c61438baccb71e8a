import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { createDatabase } from '../../src/core/db/client.js'
import { TEST_SECRETS } from '../helpers/app.js'
import { runScript, startServer, type ServerProcess } from '../helpers/server-process.js'

const running: ServerProcess[] = []
afterEach(async () => {
  for (const server of running.splice(0)) if (server.child.exitCode === null) await server.stop('SIGKILL')
})

async function start(env: Record<string, string | undefined>): Promise<ServerProcess> {
  const server = await startServer(env)
  running.push(server)
  return server
}

const embedded = (dataDir: string) => ({ DATA_DIR: dataDir, DATABASE_URL: undefined, REDIS_URL: undefined })

async function withEmbeddedDb<T>(dataDir: string, work: (db: Awaited<ReturnType<typeof createDatabase>>['db']) => Promise<T>): Promise<T> {
  const database = await createDatabase({ url: undefined, poolSize: 1, dataDir })
  try {
    return await work(database.db)
  } finally {
    await database.close()
  }
}

describe('the server process on embedded PostgreSQL', () => {
  it('serves, refuses a second process on the same DATA_DIR, stops cleanly on SIGTERM and keeps its data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-'))
    const first = await start(embedded(dataDir))
    expect((await fetch(`${first.url}/ready`)).status).toBe(200)

    const second = await runScript('src/server.ts', [], { ...embedded(dataDir), PORT: '0' })
    expect(second.code).toBe(1)
    expect(second.output).toContain(`DATA_DIR ${dataDir} is in use by another Plinth process`)
    expect((await fetch(`${first.url}/health`)).status).toBe(200)

    expect(await first.stop('SIGTERM')).toBe(0)
    expect(first.output()).toContain('shutdown complete')
    expect(existsSync(join(dataDir, 'plinth.lock'))).toBe(false)

    await withEmbeddedDb(dataDir, async (db) => {
      await db.execute(sql`create table restart_probe (note text)`)
      await db.execute(sql`insert into restart_probe values ('kept')`)
    })
    const again = await start(embedded(dataDir))
    expect((await fetch(`${again.url}/ready`)).status).toBe(200)
    expect(await again.stop('SIGINT')).toBe(0)
    const rows = await withEmbeddedDb(dataDir, (db) => db.execute(sql`select note from restart_probe`))
    expect(JSON.stringify(rows)).toContain('kept')
  })

  it('takes over a lock left by a process that died', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-'))
    const crashed = await start(embedded(dataDir))
    expect(await crashed.stop('SIGKILL')).toBeNull()
    expect(existsSync(join(dataDir, 'plinth.lock'))).toBe(true)
    const next = await start(embedded(dataDir))
    expect((await fetch(`${next.url}/ready`)).status).toBe(200)
    expect(await next.stop()).toBe(0)
  })

  it('refuses to start on a bad variable, naming it', async () => {
    const result = await runScript('src/server.ts', [], { PORT: 'not-a-port', DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-e2e-')) })
    expect(result.code).toBe(1)
    expect(result.output).toContain('PORT="not-a-port" is invalid')
  })

  it('refuses production without secrets, naming them', async () => {
    const result = await runScript('src/server.ts', [], { NODE_ENV: 'production', DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-e2e-')) })
    expect(result.code).toBe(1)
    expect(result.output).toMatch(/JWT_SECRET is required[\s\S]*ENCRYPTION_KEY is required/)
  })
})

describe.runIf(process.env.DATABASE_URL)('several instances on one PostgreSQL', () => {
  it('boot at once without racing on migrations', async () => {
    const env = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL, DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-e2e-')), ...TEST_SECRETS }
    const servers = await Promise.all([start(env), start(env), start(env)])
    for (const server of servers) expect((await fetch(`${server.url}/ready`)).status).toBe(200)
    for (const server of servers) expect(await server.stop()).toBe(0)
  })
})

describe('the CLI', () => {
  it('applies migrations with `migrate` and explains unknown commands', async () => {
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-cli-')), DATABASE_URL: process.env.DATABASE_URL, ...TEST_SECRETS }
    const migrate = await runScript('src/cli.ts', ['migrate'], env)
    expect(migrate.code).toBe(0)
    expect(migrate.output).toMatch(/Migrations applied \((pglite|postgres)\)/)
    const unknown = await runScript('src/cli.ts', ['frobnicate'], env)
    expect(unknown.code).toBe(2)
    expect(unknown.output).toContain('Unknown command "frobnicate"')
    expect(unknown.output).toContain('migrate')
  })
})
