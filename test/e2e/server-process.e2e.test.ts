import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { createDatabase } from '../../src/core/db/client.js'
import { readPostmaster } from '../../src/core/db/embedded/postmaster.js'
import { TEST_SECRETS } from '../helpers/app.js'
import { runScript, startServer, type ServerProcess } from '../helpers/server-process.js'

/** Resolves when the server has printed a line matching `pattern`. */
async function waitForLine(server: ServerProcess, pattern: RegExp): Promise<void> {
  if (pattern.test(server.output())) return
  await new Promise<void>((resolve) => {
    const onData = (): void => {
      if (!pattern.test(server.output())) return
      server.child.stdout!.off('data', onData)
      server.child.stderr!.off('data', onData)
      resolve()
    }
    server.child.stdout!.on('data', onData)
    server.child.stderr!.on('data', onData)
  })
}

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
    expect(second.output).toContain(`DATA_DIR ${dataDir} is in use by another Plinth server`)
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

  it('takes over a lock and the PostgreSQL server left by a process that died', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-'))
    const crashed = await start(embedded(dataDir))
    expect(await crashed.stop('SIGKILL')).toBeNull()
    expect(existsSync(join(dataDir, 'plinth.lock'))).toBe(true)
    const orphan = readPostmaster(join(dataDir, 'postgres'))!.pid
    const next = await start(embedded(dataDir))
    expect((await fetch(`${next.url}/ready`)).status).toBe(200)
    expect(next.output()).toContain('using the embedded PostgreSQL server already running on DATA_DIR')
    expect(readPostmaster(join(dataDir, 'postgres'))!.pid).toBe(orphan)
    expect(await next.stop()).toBe(0)
    expect(readPostmaster(join(dataDir, 'postgres'))).toBeUndefined()
  })

  it('runs the CLI while the server runs, on the same PostgreSQL server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-'))
    const server = await start(embedded(dataDir))
    const pid = readPostmaster(join(dataDir, 'postgres'))!.pid
    // A first run: the banner says where the server is, on which database, and how to create the administrator.
    await waitForLine(server, /Plinth is ready at/)
    expect(server.output()).toContain(`Plinth is ready at ${server.url} (API reference: ${server.url}/docs, admin console: ${server.url}/admin); database: embedded PostgreSQL in ${join(dataDir, 'postgres')}; no administrator yet`)
    const cli = await runScript('src/cli.ts', ['create-admin', '--email', 'cli-admin@example.com'], embedded(dataDir), { input: 'a sturdy passphrase 42\n' })
    expect(cli.output).toContain('Administrator cli-admin@example.com created.')
    expect(cli.code).toBe(0)
    // The account is there for the running server, whose PostgreSQL the CLI left alone.
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'cli-admin@example.com', password: 'a sturdy passphrase 42' }) })
    expect(login.status).toBe(200)
    expect(readPostmaster(join(dataDir, 'postgres'))!.pid).toBe(pid)
    expect(await server.stop()).toBe(0)
  })

  it('on a Ctrl-C to the whole process group, finishes the request in flight on a live database, then stops PostgreSQL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-'))
    const server = await startServer({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...embedded(dataDir) }, 30_000, { group: true })
    running.push(server)
    const body = JSON.stringify({ name: 'Late Arrival', email: 'late@example.com', password: 'a sturdy passphrase 42' })
    // A registration whose body is still arriving when the signal comes: it needs the database after it.
    const { port } = new URL(server.url)
    let answered!: (status: number) => void
    const status = new Promise<number>((resolve) => (answered = resolve))
    const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/auth/register', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } }, (response) => {
      response.resume()
      answered(response.statusCode!)
    })
    // "100 Continue" comes once the server has the request's headers: from then on it is in flight.
    const headersArrived = new Promise((resolve) => request.once('continue', resolve))
    request.flushHeaders()
    await headersArrived
    request.write(body.slice(0, 10))
    process.kill(-server.child.pid!, 'SIGINT')
    await waitForLine(server, /shutting down/)
    request.end(body.slice(10))
    expect(await status).toBe(201)
    expect(await server.exited).toBe(0)
    const log = readFileSync(join(dataDir, 'postgres', 'server.log'), 'utf8')
    expect(log).toContain('received fast shutdown request')
    expect(server.output().indexOf('shutdown complete')).toBeGreaterThan(0)
    // The account was stored: the database was up for the whole request.
    const rows = await withEmbeddedDb(dataDir, (db) => db.execute(sql`select email from users where email = 'late@example.com'`))
    expect(JSON.stringify(rows)).toContain('late@example.com')
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

describe('several instances on one PostgreSQL', () => {
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
    expect(migrate.output).toMatch(/Migrations applied \((embedded|postgres)\)/)
    const unknown = await runScript('src/cli.ts', ['frobnicate'], env)
    expect(unknown.code).toBe(2)
    expect(unknown.output).toContain('Unknown command "frobnicate"')
    expect(unknown.output).toContain('migrate')
  })
})
