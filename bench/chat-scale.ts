import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { ProcessStats } from './servers/realtime-control.js'
import { startChild, type ChildServer } from './lib/child.js'
import { openBenchDatabase, redactPassword } from './lib/database.js'
import { openFilesLimit } from './lib/limits.js'
import { readServerStats } from './lib/memory.js'
import { percentile } from './lib/realtime.js'
import type { ScaleCommand, ScaleFinishResult, ScaleOpenResult, ScaleReply, ScaleSocketSpec } from './lib/scale-client-process.js'

/**
 * The chat scale run (bench/README.md, *Chat scale run*): `node --import tsx bench/chat-scale.ts`.
 * Not part of `npm run bench`. Two chat instances (servers/chat.ts, no seed) on the run's PostgreSQL
 * (DATABASE_URL, or an embedded server) and one Redis (REDIS_URL, required); BENCH_SCALE_USERS accounts,
 * BENCH_SCALE_CHATS groups, each account in BENCH_SCALE_CHATS_PER_USER of them; BENCH_SCALE_SOCKETS
 * sockets, socket s the account s mod users' on instance s mod 2, subscribed to its user room and its
 * chats; then messages at BENCH_SCALE_RATE a second for BENCH_SCALE_DURATION seconds, each from a
 * member of a random chat to a random instance. It reports memory per socket per instance, delivery
 * latency, lost and duplicated events (every room's seq checked on every socket against the room's
 * Redis counter), and the CPU of the instances, the clients, redis-server and the postgres processes.
 */

const env = process.env
const settings = {
  sockets: integer('BENCH_SCALE_SOCKETS', 10_000),
  users: integer('BENCH_SCALE_USERS', 100),
  chats: integer('BENCH_SCALE_CHATS', 50),
  chatsPerUser: integer('BENCH_SCALE_CHATS_PER_USER', 3),
  ratePerSecond: integer('BENCH_SCALE_RATE', 10),
  durationSeconds: integer('BENCH_SCALE_DURATION', 30),
  clientProcesses: integer('BENCH_WS_CLIENT_PROCESSES', 2),
}
const INSTANCES = 2
const MAX_SENDS_IN_FLIGHT = 32
const DRAIN_TIMEOUT_MS = 30_000
const CONNECT_CONCURRENCY = 100
const SPARE_FILE_DESCRIPTORS = 256
const REDIS_PREFIX = 'plinth:rt:'
const clientScript = join(import.meta.dirname, 'lib', 'scale-client-process.ts')

interface Account {
  readonly id: string
  readonly token: string
}

async function main(): Promise<number> {
  const redisUrl = env.REDIS_URL?.trim()
  if (!redisUrl) throw new Error('REDIS_URL is required: the scale run is two instances sharing one Redis (use a scratch database, e.g. redis://127.0.0.1:6379/11)')
  if (settings.users * settings.chatsPerUser < settings.chats) throw new Error('BENCH_SCALE_USERS × BENCH_SCALE_CHATS_PER_USER must be at least BENCH_SCALE_CHATS: every chat needs members')
  const limit = openFilesLimit()
  const perInstance = Math.ceil(settings.sockets / INSTANCES) + SPARE_FILE_DESCRIPTORS
  const perClient = Math.ceil(settings.sockets / settings.clientProcesses) + SPARE_FILE_DESCRIPTORS
  console.log('Plinth chat scale run')
  console.log(`  ${settings.sockets} sockets over ${INSTANCES} instances, ${settings.users} accounts, ${settings.chats} groups, ${settings.chatsPerUser} per account; ${settings.ratePerSecond} messages/s for ${settings.durationSeconds} s; clients in ${settings.clientProcesses} process(es)`)
  console.log(`  ulimit -n ${limit ?? 'unknown'} (hard ${hardOpenFilesLimit() ?? 'unknown'}): each instance needs ~${perInstance}, each client process ~${perClient}`)
  console.log(`  machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}; load average ${loadAverage()}`)
  if (limit !== null && limit < Math.max(perInstance, perClient)) throw new Error(`ulimit -n is ${limit}: raise it (e.g. \`ulimit -n ${Math.max(perInstance, perClient) + 1000}\`, up to \`ulimit -Hn\`), or set more BENCH_WS_CLIENT_PROCESSES / fewer BENCH_SCALE_SOCKETS`)

  const database = await openBenchDatabase(env, { info: (_d, m) => console.log(`  database: ${m}`), warn: (_d, m) => console.error(`  database: ${m}`), error: (_d, m) => console.error(`  !! database: ${m}`) })
  console.log(`  database: ${database.description}; redis: ${redactPassword(redisUrl)}`)
  const servers: ChildServer[] = []
  const clients: ScaleClient[] = []
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  const stop = async (): Promise<void> => {
    await Promise.allSettled(clients.map((client) => client.stop()))
    await Promise.allSettled(servers.map((server) => server.stop()))
    redis.disconnect()
    await database.close()
  }
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)))
  try {
    // One after the other: the first applies the migrations.
    for (let i = 0; i < INSTANCES; i++) {
      servers.push(
        await startChild({
          name: `chat-${i + 1}`,
          script: 'bench/servers/chat.ts',
          nodeArgs: ['--expose-gc'],
          timeoutMs: 120_000,
          env: { PATH: env.PATH, HOME: env.HOME, TMPDIR: env.TMPDIR, UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE, NODE_ENV: 'production', DATABASE_URL: database.url, DATABASE_POOL_SIZE: env.DATABASE_POOL_SIZE, REDIS_URL: redisUrl, BENCH_CHAT_SEED: 'none' },
        }),
      )
      if (servers[i]!.ready.realtime !== 'redis') throw new Error(`instance ${i + 1} runs realtime ${JSON.stringify(servers[i]!.ready.realtime)}, not on Redis`)
    }
    await redis.connect()
    console.log('\n▶ seeding: accounts and chats (through the API of instance 1)')
    const seedStarted = Date.now()
    const accounts = await registerAll(servers[0]!.url, settings.users)
    const chatMembers: number[][] = Array.from({ length: settings.chats }, () => [])
    const chatsOf = accounts.map((_, u) => Array.from({ length: settings.chatsPerUser }, (_, t) => (u * settings.chatsPerUser + t) % settings.chats))
    chatsOf.forEach((list, u) => new Set(list).forEach((c) => chatMembers[c]!.push(u)))
    const chatIds: string[] = []
    for (const members of chatMembers) {
      const [owner, ...others] = members
      const chat = await call(servers[0]!.url, accounts[owner!]!, 'POST', '/api/chats', { type: 'group', title: `Scale ${chatIds.length}`, participantIds: others.map((u) => accounts[u]!.id) }, 201)
      chatIds.push(chat.id as string)
    }
    console.log(`  ${accounts.length} accounts, ${chatIds.length} chats (${Math.min(...chatMembers.map((m) => m.length))}–${Math.max(...chatMembers.map((m) => m.length))} members each) in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`)

    const stats = async (gc: boolean, warm = false): Promise<ProcessStats[]> =>
      Promise.all(servers.map((server) => readServerStats(new URL('/api/bench/stats', server.url), { authorization: `Bearer ${accounts[0]!.token}` }, gc, warm)))
    // `warm`: V8's young generation grown first, as the idle-memory scenarios do, so its one-time growth is not counted per socket.
    const before = await stats(true, true)
    for (let p = 0; p < settings.clientProcesses; p++) clients.push(await ScaleClient.start())
    const specs: ScaleSocketSpec[][] = clients.map(() => [])
    const socketsPerInstance = servers.map(() => 0)
    for (let s = 0; s < settings.sockets; s++) {
      const u = s % accounts.length
      const instance = s % INSTANCES
      socketsPerInstance[instance]!++
      const account = accounts[u]!
      specs[s % clients.length]!.push({
        url: `${servers[instance]!.url.replace(/^http/, 'ws')}/api/realtime`,
        token: account.token,
        rooms: [`user:${account.id}`, ...[...new Set(chatsOf[u])].map((c) => `chat:${chatIds[c]}`)],
      })
    }
    console.log(`\n▶ opening ${settings.sockets} sockets (${socketsPerInstance.join(' + ')}) and subscribing`)
    const openStarted = Date.now()
    const opened = await Promise.all(clients.map((client, p) => client.ask<ScaleOpenResult>({ type: 'open', sockets: specs[p]!, concurrency: Math.ceil(CONNECT_CONCURRENCY / clients.length) })))
    const failedOpen = opened.reduce((n, r) => n + r.failed, 0)
    console.log(`  ${opened.reduce((n, r) => n + r.open, 0)} open, ${opened.reduce((n, r) => n + r.subscriptions, 0)} subscriptions, ${failedOpen} failed, in ${((Date.now() - openStarted) / 1000).toFixed(1)} s`)
    if (failedOpen > 0) throw new Error(`${failedOpen} sockets failed: ${opened.flatMap((r) => r.failures).slice(0, 5).join('; ')}`)
    const subscribed = await stats(true)

    console.log(`\n▶ load: ${settings.ratePerSecond} messages/s for ${settings.durationSeconds} s`)
    const cpuBefore = processCpu(databaseName(database.url))
    const serverCpuBefore = await stats(false)
    await Promise.all(clients.map((client) => client.ask({ type: 'start' })))
    const sends = await sendLoad(servers, accounts, chatIds, chatMembers)
    const cpuAfter = processCpu(databaseName(database.url))
    const serverCpuAfter = await stats(false)
    // Every room's head: its Redis counter, the seq of its newest event, however many instances published.
    const rooms = new Set(specs.flat().flatMap((spec) => spec.rooms))
    const heads: Record<string, number> = {}
    for (const room of rooms) heads[room] = Number((await redis.get(`${REDIS_PREFIX}seq:${room}`)) ?? 0)
    const finished = await Promise.all(clients.map((client) => client.ask<ScaleFinishResult>({ type: 'finish', heads, timeoutMs: DRAIN_TIMEOUT_MS })))
    const afterLoad = await stats(true)

    const latencies = concat(finished.map((r) => r.latenciesMs)).sort()
    const sum = (pick: (r: ScaleFinishResult) => number): number => finished.reduce((n, r) => n + pick(r), 0)
    const windowMs = sends.elapsedMs
    const cpuPercent = (pid: string): number => ((cpuAfter.ticks.get(pid) ?? 0) - (cpuBefore.ticks.get(pid) ?? 0))
    const group = (pids: readonly string[]): number => (100 * pids.reduce((n, pid) => n + cpuPercent(pid), 0)) / cpuAfter.hz / (windowMs / 1000)
    const result: ScaleResult = {
      settings,
      openFilesLimit: { soft: limit, hard: hardOpenFilesLimit() },
      loadAverage: loadAverage(),
      sockets: settings.sockets,
      instances: servers.map((_, i) => ({
        sockets: socketsPerInstance[i]!,
        rssBeforeMiB: mib(before[i]!.rssBytes),
        rssSubscribedMiB: mib(subscribed[i]!.rssBytes),
        rssAfterLoadMiB: mib(afterLoad[i]!.rssBytes),
        perSocketKiB: {
          rss: kib((subscribed[i]!.rssBytes - before[i]!.rssBytes) / socketsPerInstance[i]!),
          rssLessFreeHeap: kib((subscribed[i]!.rssBytes - subscribed[i]!.heapFreeResidentBytes - (before[i]!.rssBytes - before[i]!.heapFreeResidentBytes)) / socketsPerInstance[i]!),
          jsHeap: kib((subscribed[i]!.heapUsedBytes - before[i]!.heapUsedBytes) / socketsPerInstance[i]!),
          rssAfterLoad: kib((afterLoad[i]!.rssBytes - before[i]!.rssBytes) / socketsPerInstance[i]!),
        },
        cpuPercent: (100 * (serverCpuAfter[i]!.cpuUserMs + serverCpuAfter[i]!.cpuSystemMs - serverCpuBefore[i]!.cpuUserMs - serverCpuBefore[i]!.cpuSystemMs)) / (serverCpuAfter[i]!.at - serverCpuBefore[i]!.at),
      })),
      sends,
      deliveries: {
        expected: sum((r) => r.expected),
        received: sum((r) => r.deliveries),
        lost: sum((r) => r.lost),
        duplicated: sum((r) => r.duplicated),
        closed: sum((r) => r.closed),
        unexpected: sum((r) => r.unexpected),
        timedOut: finished.some((r) => r.timedOut),
        failures: finished.flatMap((r) => r.failures).slice(0, 5),
        perSecond: sum((r) => r.deliveries) / (windowMs / 1000),
        timed: latencies.length,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
        latencyMaxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : 0,
      },
      cpuPercentOfOneCore: {
        clients: (100 * sum((r) => r.cpuMs)) / Math.max(...finished.map((r) => r.wallMs)),
        redisServer: group(cpuAfter.redis),
        postgresAll: group(cpuAfter.postgres),
        postgresRunDatabaseBackends: group(cpuAfter.postgresRun),
      },
    }
    report(result)
    const path = writeResult(result)
    console.log(`\nResults written to ${path}`)
    const clean = result.deliveries.lost === 0 && result.deliveries.duplicated === 0 && result.deliveries.closed === 0 && result.deliveries.unexpected === 0 && sends.non201 === 0
    if (!clean) console.error('\n!! SCALE RUN INVALID: events were lost or duplicated, sockets closed, or sends failed (see above)')
    return clean ? 0 : 1
  } finally {
    await stop()
  }
}

/** Messages on a fixed schedule (message i due at start + i/rate), up to MAX_SENDS_IN_FLIGHT at once, each from a member of a random chat to a random instance. */
async function sendLoad(servers: readonly ChildServer[], accounts: readonly Account[], chatIds: readonly string[], members: readonly (readonly number[])[]) {
  const total = settings.ratePerSecond * settings.durationSeconds
  const statusCodes: Record<string, number> = {}
  const latencies = new Float64Array(total)
  let non201 = 0
  let maxLagMs = 0
  const inFlight = new Set<Promise<void>>()
  const start = wallClockMs()
  const send = async (i: number): Promise<void> => {
    const c = Math.floor(Math.random() * chatIds.length)
    const chatMembers = members[c]!
    const author = accounts[chatMembers[Math.floor(Math.random() * chatMembers.length)]!]!
    const server = servers[Math.floor(Math.random() * servers.length)]!
    const sentAt = wallClockMs()
    let status = 0
    try {
      const response = await fetch(new URL(`/api/chats/${chatIds[c]!}/messages`, server.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${author.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: `scale ${i} bench-sentAt=${sentAt.toFixed(3)}`, clientId: randomUUID() }),
      })
      await response.arrayBuffer()
      status = response.status
    } catch {
      // status 0: the request failed
    }
    latencies[i] = wallClockMs() - sentAt
    statusCodes[status] = (statusCodes[status] ?? 0) + 1
    if (status !== 201) non201++
  }
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / settings.ratePerSecond
    const wait = due - wallClockMs()
    if (wait > 0) await sleep(wait)
    while (inFlight.size >= MAX_SENDS_IN_FLIGHT) await Promise.race(inFlight)
    maxLagMs = Math.max(maxLagMs, wallClockMs() - due)
    const sending: Promise<void> = send(i).finally(() => inFlight.delete(sending))
    inFlight.add(sending)
  }
  await Promise.all(inFlight)
  const elapsedMs = wallClockMs() - start
  latencies.sort()
  return { sent: total, non201, statusCodes, achievedPerSecond: total / (elapsedMs / 1000), maxLagMs, elapsedMs, sendP50Ms: percentile(latencies, 50), sendP99Ms: percentile(latencies, 99) }
}

async function registerAll(url: string, count: number): Promise<Account[]> {
  const accounts: Account[] = new Array<Account>(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      const response = await fetch(new URL('/api/auth/register', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `scale-${randomUUID()}@example.com`, password: `scale-${randomUUID()}`, name: `Scale ${i}` }),
      })
      const text = await response.text()
      if (response.status !== 201) throw new Error(`POST /api/auth/register answered ${response.status}: ${text.slice(0, 300)}`)
      const body = JSON.parse(text) as { user: { id: string }; accessToken: string }
      accounts[i] = { id: body.user.id, token: body.accessToken }
    }
  }
  // argon2 hashes on the thread pool: a few at once.
  await Promise.all(Array.from({ length: 4 }, worker))
  return accounts
}

async function call(url: string, as: Account, method: 'POST', path: string, body: unknown, status: number): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, url), { method, headers: { authorization: `Bearer ${as.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await response.text()
  if (response.status !== status) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as Record<string, unknown>
}

/** CPU ticks so far of redis-server and postgres processes (all of them, and the backends of the run's database, by their process title), from /proc. */
function processCpu(database: string | undefined): { ticks: Map<string, number>; hz: number; redis: string[]; postgres: string[]; postgresRun: string[] } {
  const ticks = new Map<string, number>()
  const redis: string[] = []
  const postgres: string[] = []
  const postgresRun: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
      if (comm !== 'redis-server' && comm !== 'postgres') continue
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // utime and stime: fields 14 and 15 of /proc/<pid>/stat, 12 and 13 after "(comm) ".
      ticks.set(pid, Number(fields[11]) + Number(fields[12]))
      if (comm === 'redis-server') redis.push(pid)
      else {
        postgres.push(pid)
        const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
        if (database && title.includes(` ${database} `)) postgresRun.push(pid)
      }
    } catch {
      // the process ended meanwhile
    }
  }
  // USER_HZ: 100 on Linux (sysconf(_SC_CLK_TCK)).
  return { ticks, hz: 100, redis, postgres, postgresRun }
}

function databaseName(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || undefined
  } catch {
    return undefined
  }
}

/** What the run reports and writes to bench/results/<timestamp>-chat-scale.json. */
interface ScaleResult {
  readonly settings: typeof settings
  readonly openFilesLimit: { readonly soft: number | null; readonly hard: number | null }
  readonly loadAverage: string
  readonly sockets: number
  readonly instances: readonly {
    readonly sockets: number
    readonly rssBeforeMiB: number
    readonly rssSubscribedMiB: number
    readonly rssAfterLoadMiB: number
    readonly perSocketKiB: { readonly rss: number; readonly rssLessFreeHeap: number; readonly jsHeap: number; readonly rssAfterLoad: number }
    readonly cpuPercent: number
  }[]
  readonly sends: Awaited<ReturnType<typeof sendLoad>>
  readonly deliveries: {
    readonly expected: number
    readonly received: number
    readonly lost: number
    readonly duplicated: number
    readonly closed: number
    readonly unexpected: number
    readonly timedOut: boolean
    readonly failures: readonly string[]
    readonly perSecond: number
    readonly timed: number
    readonly latencyP50Ms: number
    readonly latencyP99Ms: number
    readonly latencyMaxMs: number
  }
  readonly cpuPercentOfOneCore: { readonly clients: number; readonly redisServer: number; readonly postgresAll: number; readonly postgresRunDatabaseBackends: number }
}

function report(r: ScaleResult): void {
  console.log('\nMemory per socket (after a full GC; subscribed − before sockets, ÷ that instance\'s sockets):')
  r.instances.forEach((instance, i) => {
    const p = instance.perSocketKiB
    console.log(
      `  instance ${i + 1}: ${instance.sockets} sockets  RSS ${p.rss.toFixed(1)} KiB, less free heap ${p.rssLessFreeHeap.toFixed(1)} KiB, JS heap ${p.jsHeap.toFixed(1)} KiB; after the load ${p.rssAfterLoad.toFixed(1)} KiB RSS (${instance.rssBeforeMiB.toFixed(0)} → ${instance.rssSubscribedMiB.toFixed(0)} → ${instance.rssAfterLoadMiB.toFixed(0)} MiB); CPU ${instance.cpuPercent.toFixed(0)}% during the load`,
    )
  })
  const s = r.sends
  console.log(`\nSends: ${s.sent} (${s.achievedPerSecond.toFixed(1)}/s achieved, worst lag ${s.maxLagMs.toFixed(0)} ms), non-201 ${s.non201} ${JSON.stringify(s.statusCodes)}, send p50 ${s.sendP50Ms.toFixed(0)} ms p99 ${s.sendP99Ms.toFixed(0)} ms`)
  const d = r.deliveries
  console.log(`Deliveries: ${d.received} of ${d.expected} expected (${d.perSecond.toFixed(0)}/s); lost ${d.lost}, duplicated ${d.duplicated}, sockets closed ${d.closed}, unexpected ${d.unexpected}${d.timedOut ? ', TIMED OUT waiting' : ''}${d.failures.length > 0 ? ` (${d.failures.join('; ')})` : ''}`)
  console.log(`Send-to-delivery (${d.timed} timed deliveries: message.sent and chat.activity): p50 ${d.latencyP50Ms.toFixed(1)} ms, p99 ${d.latencyP99Ms.toFixed(1)} ms, max ${d.latencyMaxMs.toFixed(1)} ms`)
  const c = r.cpuPercentOfOneCore
  console.log(`CPU during the load (% of one core): clients ${c.clients.toFixed(0)}%, redis-server ${c.redisServer.toFixed(0)}%, postgres all ${c.postgresAll.toFixed(0)}% (backends of the run's database ${c.postgresRunDatabaseBackends.toFixed(0)}%); load average ${r.loadAverage}`)
  console.log('  redis-server and the postgres processes are shared with anything else on this machine: compare with an idle machine.')
}

function writeResult(result: ScaleResult): string {
  const dir = join(import.meta.dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-chat-scale.json`)
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`)
  return path
}

/** One scale client process (lib/scale-client-process.ts) and its command channel: one command at a time. */
class ScaleClient {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined
  private exited = false

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ScaleReply) => {
      const pending = this.pending
      this.pending = undefined
      if (!pending) return
      if (reply.ok) pending.resolve(reply.result)
      else pending.reject(new Error(`scale client process: ${reply.error}`))
    })
    child.once('exit', (code, signal) => {
      this.exited = true
      this.pending?.reject(new Error(`the scale client process exited with ${signal ?? `code ${code}`}`))
      this.pending = undefined
    })
  }

  static start(): Promise<ScaleClient> {
    const child = fork(clientScript, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(new ScaleClient(child)))
      child.once('error', reject)
    })
  }

  ask<T = unknown>(command: ScaleCommand): Promise<T> {
    if (this.exited) return Promise.reject(new Error('the scale client process has exited'))
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (value: unknown) => void, reject }
      this.child.send(command)
    })
  }

  async stop(): Promise<void> {
    if (this.exited) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.disconnect()
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
}

function concat(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0))
  let offset = 0
  for (const a of arrays) {
    out.set(a, offset)
    offset += a.length
  }
  return out
}

function hardOpenFilesLimit(): number | null {
  try {
    const match = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    return match ? (match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1])) : null
  } catch {
    return null
  }
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return 'unknown'
  }
}

function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024
}

function kib(bytes: number): number {
  return bytes / 1024
}

function integer(name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected a positive integer`)
  return value
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error('chat scale run failed:', error)
    process.exitCode = 1
  },
)
