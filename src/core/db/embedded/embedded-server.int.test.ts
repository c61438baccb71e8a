import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, type Database } from '../client.js'
import { postgresJsTarget } from '../connection.js'
import { DataDirLockedError } from '../data-dir-lock.js'
import { isConnectionFailure } from '../unavailable.js'
import { embeddedLayout } from './layout.js'
import { POSTGRES_OS_USER } from './os-user.js'
import { readPostmaster } from './postmaster.js'
import { EmbeddedServer, LegacyDataError } from './server.js'

const asRoot = process.getuid?.() === 0
const open: (Database | EmbeddedServer)[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await (item instanceof EmbeddedServer ? item.stop() : item.close())
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A DATA_DIR as `mktemp -d` makes one: mode 0700, owned by whoever runs the tests. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-emb-'))
  dirs.push(dir)
  return join(dir, 'data')
}

// A DATA_DIR whose cluster one start made and one stop left (PG_VERSION, secrets.json, owners and
// modes), copied for the tests about later starts: initdb is most of a first start, and the tests
// that are about a first start (and the CLI's) still make their own.
const seedFolder = mkdtempSync(join(tmpdir(), 'plinth-emb-seed-'))
const seed = join(seedFolder, 'data')
beforeAll(async () => {
  await (await createDatabase({ url: undefined, poolSize: 1, dataDir: seed, log: recorder().log })).close()
}, 120_000)
afterAll(() => rmSync(seedFolder, { recursive: true, force: true }))

/** `dir` (default: a new `dataDir()`, else a path not yet there) holding a stopped cluster made by an earlier start. */
function startedBefore(dir = dataDir()): string {
  execFileSync('cp', ['-a', seed, dir])
  return dir
}

interface Line {
  level: string
  message: string
  details: Record<string, unknown>
}

function recorder(): { lines: Line[]; log: { info: (d: object, m: string) => void; warn: (d: object, m: string) => void; error: (d: object, m: string) => void }; next: (pattern: RegExp) => Promise<Line> } {
  const lines: Line[] = []
  const waiters: { pattern: RegExp; resolve: (line: Line) => void }[] = []
  const add = (level: string) => (details: object, message: string) => {
    const line = { level, message, details: details as Record<string, unknown> }
    lines.push(line)
    for (const waiter of waiters.filter((w) => w.pattern.test(message))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  }
  return {
    lines,
    log: { info: add('info'), warn: add('warn'), error: add('error') },
    next: (pattern) => new Promise((resolve) => waiters.push({ pattern, resolve })),
  }
}

async function openEmbedded(dir: string, role: 'server' | 'client' = 'server', log = recorder().log): Promise<Database> {
  const database = await createDatabase({ url: undefined, poolSize: 2, dataDir: dir, role, log })
  open.push(database)
  return database
}

async function query<T extends object>(url: string, text: string): Promise<T[]> {
  const target = postgresJsTarget(url)
  const sql = postgres(target.url, { ...target.options, max: 1, onnotice: () => {} })
  try {
    return (await sql.unsafe(text)) as unknown as T[]
  } finally {
    await sql.end({ timeout: 5 })
  }
}

describe('the embedded PostgreSQL server', () => {
  it('initialises a cluster in DATA_DIR/postgres on first start and listens on a Unix socket only', async () => {
    const dir = dataDir()
    const database = await openEmbedded(dir)
    expect(database.kind).toBe('embedded')
    const [row] = await query<{ version: string; listen: string; buffers: string; socket: string }>(
      database.url,
      "select version() as version, current_setting('listen_addresses') as listen, current_setting('shared_buffers') as buffers, current_setting('unix_socket_directories') as socket",
    )
    expect(row!.version).toMatch(/^PostgreSQL 18\./)
    expect(row!.listen).toBe('')
    expect(row!.buffers).toBe('32MB')
    expect(row!.socket).toBe(join(dir, 'postgres'))
    expect(existsSync(join(dir, 'postgres', 'PG_VERSION'))).toBe(true)
    // The generated superuser password is kept with the other generated secrets, and required.
    const kept = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { databasePassword?: string }
    expect(database.url).toContain(encodeURIComponent(kept.databasePassword!))
    const wrong = new URL(database.url)
    wrong.password = 'not-the-password'
    await expect(query(wrong.toString(), 'select 1')).rejects.toMatchObject({ code: '28P01' })
  })

  it.runIf(asRoot)('as root, runs PostgreSQL as an unprivileged account that owns the cluster, inside a DATA_DIR only root could enter', async () => {
    const dir = dataDir()
    const parent = join(dir, '..')
    expect(statSync(parent).mode & 0o777).toBe(0o700)
    const log = recorder()
    const database = await openEmbedded(dir, 'server', log.log)
    const owner = execFileSync('stat', ['-c', '%U', join(dir, 'postgres')], { encoding: 'utf8' }).trim()
    expect(owner).toBe(POSTGRES_OS_USER)
    const [row] = await query<{ user: string }>(database.url, 'select current_user as user')
    expect(row!.user).toBe('plinth')
    const pid = readPostmaster(join(dir, 'postgres'))!.pid
    expect(execFileSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).trim()).toBe(POSTGRES_OS_USER)
    // Only search permission was added to the mktemp folder, and the log says so.
    expect(statSync(parent).mode & 0o777).toBe(0o701)
    expect(log.lines.find((line) => line.level === 'warn')?.details).toMatchObject({ folders: [parent], user: POSTGRES_OS_USER })
  })

  it('keeps the data across a restart, and runs in a process group of its own', async () => {
    const dir = startedBefore()
    const first = await openEmbedded(dir)
    await query(first.url, 'create table kept (n int); insert into kept values (42)')
    const pid = readPostmaster(join(dir, 'postgres'))!.pid
    const pgid = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim())
    expect(pgid).toBe(pid)
    expect(pgid).not.toBe(Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim()))
    await first.close()
    open.splice(open.indexOf(first), 1)
    expect(readPostmaster(join(dir, 'postgres'))).toBeUndefined()
    const second = await openEmbedded(dir)
    expect(await query(second.url, 'select n from kept')).toEqual([{ n: 42 }])
  })

  it('uses a server a killed Plinth left running, and starts over a stale postmaster.pid', async () => {
    const dir = startedBefore()
    // A server started by a process that then died without stopping it (its lock is gone with it).
    const orphan = await EmbeddedServer.start({ dataDir: dir, role: 'client', log: recorder().log })
    const pid = readPostmaster(join(dir, 'postgres'))!.pid
    const log = recorder()
    const adopted = await openEmbedded(dir, 'server', log.log)
    expect(readPostmaster(join(dir, 'postgres'))!.pid).toBe(pid)
    expect(log.lines.map((line) => line.message)).toContain('using the embedded PostgreSQL server already running on DATA_DIR')
    await adopted.close()
    open.splice(open.indexOf(adopted), 1)
    // The server role owns what it adopted: it stopped it.
    expect(readPostmaster(join(dir, 'postgres'))).toBeUndefined()
    void orphan
    // A postmaster.pid whose process is gone (a crash of the machine): the next start removes it.
    writeFileSync(join(dir, 'postgres', 'postmaster.pid'), '999999\n/nowhere\n0\n5432\n/nowhere\n\n0 0\nready\n')
    const restarted = await openEmbedded(dir)
    expect(await query(restarted.url, 'select 1 as ok')).toEqual([{ ok: 1 }])
  })

  it('restarts a server that dies under Plinth, and logs why', async () => {
    const dir = startedBefore()
    const log = recorder()
    const database = await createDatabase({ url: undefined, poolSize: 2, dataDir: dir, log: log.log })
    open.push(database)
    const pid = readPostmaster(join(dir, 'postgres'))!.pid
    const stopped = log.next(/stopped unexpectedly/)
    const back = log.next(/runs again/)
    process.kill(pid, 'SIGKILL')
    expect((await stopped).details.lastLog).toEqual(expect.any(String))
    // Until it runs again (a second later), queries fail as unavailable (503 for the API, /ready included).
    await expect(database.ping()).rejects.toSatisfy(isConnectionFailure)
    await back
    expect(readPostmaster(join(dir, 'postgres'))!.pid).not.toBe(pid)
    await expect(database.ping()).resolves.toBeUndefined()
  })

  it('lets the CLI work while the server runs, and refuses a second server on the same DATA_DIR', async () => {
    const dir = startedBefore()
    const server = await openEmbedded(dir)
    await expect(createDatabase({ url: undefined, poolSize: 1, dataDir: dir })).rejects.toThrow(DataDirLockedError)
    const cli = await openEmbedded(dir, 'client')
    await cli.migrate()
    await cli.close()
    open.splice(open.indexOf(cli), 1)
    // The CLI leaves the server's PostgreSQL running.
    await expect(server.ping()).resolves.toBeUndefined()
  })

  it('the CLI alone starts the server for its work and stops it afterwards', async () => {
    const dir = dataDir()
    const cli = await openEmbedded(dir, 'client')
    expect(readPostmaster(join(dir, 'postgres'))).toBeDefined()
    await cli.close()
    open.splice(open.indexOf(cli), 1)
    expect(readPostmaster(join(dir, 'postgres'))).toBeUndefined()
  })

  it('puts the socket in a short private folder when DATA_DIR is too deep for a socket path', async () => {
    const deep = join(dataDir(), 'a'.repeat(60), 'b'.repeat(40))
    mkdirSync(join(deep, '..'), { recursive: true })
    startedBefore(deep)
    const layout = embeddedLayout(deep)
    expect(layout.socketDir).toMatch(/^\/tmp\/plinth-[0-9a-f]{16}$/)
    const database = await openEmbedded(deep)
    expect(statSync(layout.socketDir).mode & 0o777).toBe(0o700)
    expect(await query(database.url, 'select 1 as ok')).toEqual([{ ok: 1 }])
    await database.close()
    open.splice(open.indexOf(database), 1)
    rmSync(layout.socketDir, { recursive: true, force: true })
  })

  it('sets a new password when secrets.json was lost, keeping the data', async () => {
    const dir = startedBefore()
    const first = await openEmbedded(dir)
    await query(first.url, 'create table kept (n int); insert into kept values (7)')
    await first.close()
    open.splice(open.indexOf(first), 1)
    rmSync(join(dir, 'secrets.json'))
    const log = recorder()
    const second = await openEmbedded(dir, 'server', log.log)
    expect(second.url).not.toBe(first.url)
    expect(await query(second.url, 'select n from kept')).toEqual([{ n: 7 }])
    expect(log.lines.map((line) => line.message)).toContain('the embedded PostgreSQL password was not in DATA_DIR/secrets.json: setting a new one')
  })

  it('never sets a new password under a running server: the CLI is refused and the server keeps working', async () => {
    const dir = startedBefore()
    const server = await openEmbedded(dir)
    const kept = readFileSync(join(dir, 'secrets.json'), 'utf8')
    rmSync(join(dir, 'secrets.json'))
    // The server holds DATA_DIR as another process would (the lock names a live pid that is not this one).
    const lock = join(dir, 'plinth.lock')
    const own = readFileSync(lock, 'utf8')
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), since: new Date().toISOString() }))
    await expect(createDatabase({ url: undefined, poolSize: 1, dataDir: dir, role: 'client' })).rejects.toThrow('while a Plinth server runs on this DATA_DIR')
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false)
    await expect(server.ping()).resolves.toBeUndefined()
    writeFileSync(join(dir, 'secrets.json'), kept)
    writeFileSync(lock, own)
  })

  it('answers an old PGlite data folder with what to do', async () => {
    const dir = dataDir()
    mkdirSync(join(dir, 'pgdata'), { recursive: true })
    writeFileSync(join(dir, 'pgdata', 'PG_VERSION'), '17\n')
    const failure = createDatabase({ url: undefined, poolSize: 1, dataDir: dir })
    await expect(failure).rejects.toThrow(LegacyDataError)
    await expect(failure).rejects.toThrow(`delete the old folder (rm -rf '${join(dir, 'pgdata')}') and start again`)
    expect(existsSync(join(dir, 'postgres'))).toBe(false)
  })
})
