import { connect } from 'node:net'
import postgres, { type Sql } from 'postgres'
import { postgresJsTarget } from './connection.js'
import { DatabaseUnavailableError, isConnectionFailure } from './unavailable.js'

/** How long each part of talking to PostgreSQL may take (milliseconds; see README, DATABASE_*). */
export interface DatabaseTimeouts {
  /** Opening a connection: TCP and the startup exchange. */
  readonly connectMs: number
  /**
   * The longest a query waits for one of the pool's connections (it then fails and never runs), and
   * how long a sent query may go unanswered before the server is checked for life: when PostgreSQL
   * does not answer that check either, the pool is dropped and every query on it fails at once.
   */
  readonly waitMs: number
  /** The server's `statement_timeout` on the API's pool (0: the server's default). */
  readonly statementMs: number
  /** The server's `idle_in_transaction_session_timeout` on the API's pool (0: the server's default). */
  readonly idleInTransactionMs: number
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectMs: 3000, waitMs: 3000, statementMs: 30_000, idleInTransactionMs: 60_000 }

/** Idle connections are closed after this long: a dead one is not kept for the next request. */
const IDLE_SECONDS = 60
/** The liveness check (an SSLRequest, answered before authentication) gets at most this long. */
const PROBE_MS = 1000
/**
 * Plain queries in flight per connection: postgres.js pipelines queries on busy connections, and
 * allowing only one per connection halved GET /api/auth/me under load (measured with `npm run bench`).
 * A transaction reserves its connection, so it takes this many slots.
 */
const PIPELINE_DEPTH = 8

interface Operation {
  readonly since: number
  readonly slots: number
}

export interface ServerPool {
  /** What Drizzle is given: forwards to the current postgres.js pool, one operation per connection. */
  readonly client: Sql
  ping(): Promise<void>
  end(): Promise<void>
}

/**
 * A postgres.js pool with every wait bounded. postgres.js itself queues and pipelines queries
 * without limit, so a query behind a dead connection would wait as long as TCP does: here at most
 * `poolSize` transactions, or `PIPELINE_DEPTH` queries per connection, run at once, the others wait at most
 * `waitMs` for a turn, and an operation unanswered for `waitMs` makes the pool check that the server
 * is alive. When it is not, the pool is replaced: what ran on the old one fails (503
 * DATABASE_UNAVAILABLE) and the next queries open new connections, so the pool recovers by itself
 * once PostgreSQL is back.
 */
export function serverPool(url: string, poolSize: number, timeouts: DatabaseTimeouts, onDropped: (reason: string) => void): ServerPool {
  const target = postgresJsTarget(url)
  const open = (): Sql =>
    postgres(target.url, {
      ...target.options,
      max: poolSize,
      onnotice: () => {},
      connect_timeout: timeouts.connectMs / 1000,
      idle_timeout: IDLE_SECONDS,
      // postgres.js waits up to 20 s before reconnecting after failures (the query waiting with it):
      // short pauses instead, so the pool is back soon after PostgreSQL. Only queries cause attempts.
      backoff: (attempt: number) => Math.min(0.1 * attempt, 0.5),
      connection: {
        application_name: 'plinth',
        // postgres.js leaves out parameters that are 0, which keeps the server's default.
        statement_timeout: String(timeouts.statementMs),
        idle_in_transaction_session_timeout: String(timeouts.idleInTransactionMs),
      } as Record<string, string>,
    })
  const first = open()
  let current = first
  let ended = false
  const running = new Set<Operation>()
  const capacity = poolSize * PIPELINE_DEPTH
  let used = 0
  /** Readiness checks take no slot (a busy pool is still ready) but are watched like queries. */
  const pings = new Set<Operation>()
  const waiting: { slots: number; grant: (operation: Operation) => void }[] = []
  let watchdog: NodeJS.Timeout | undefined
  let probing = false
  let lastProbe = 0

  const start = (slots: number): Operation => {
    const operation = { since: Date.now(), slots }
    running.add(operation)
    used += slots
    watchStalls()
    return operation
  }

  const acquire = (slots: number): Promise<Operation> => {
    if (ended) return Promise.reject(new DatabaseUnavailableError('the database pool is closed'))
    if (waiting.length === 0 && used + slots <= capacity) return Promise.resolve(start(slots))
    return new Promise((resolve, reject) => {
      const entry = {
        slots,
        grant: (operation: Operation) => {
          clearTimeout(timer)
          resolve(operation)
        },
      }
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(entry), 1)
        grantWaiting()
        reject(new DatabaseUnavailableError(`no database connection became free within ${timeouts.waitMs} ms`))
      }, timeouts.waitMs)
      waiting.push(entry)
    })
  }

  /** Freed slots pass straight to those in line, in order, so a newcomer cannot take them in between. */
  const grantWaiting = (): void => {
    while (waiting.length > 0 && used + waiting[0]!.slots <= capacity) {
      const next = waiting.shift()!
      next.grant(start(next.slots))
    }
  }

  const release = (operation: Operation): void => {
    running.delete(operation)
    used -= operation.slots
    grantWaiting()
    stopWatchingWhenIdle()
  }

  const watchStalls = (): void => {
    watchdog ??= setInterval(watch, Math.min(250, timeouts.waitMs / 2)).unref()
  }
  const stopWatchingWhenIdle = (): void => {
    if (running.size > 0 || waiting.length > 0 || pings.size > 0) return
    clearInterval(watchdog)
    watchdog = undefined
  }

  /** Hands out a slot before `work` starts: a query past its wait never reaches the server. */
  const run = async <T>(slots: number, work: (pool: Sql) => Promise<T>): Promise<T> => {
    const operation = await acquire(slots)
    try {
      return await work(current)
    } catch (error) {
      if (error instanceof DatabaseUnavailableError || !isConnectionFailure(error)) throw error
      throw new DatabaseUnavailableError(describe(error), { cause: error })
    } finally {
      release(operation)
    }
  }

  function watch(): void {
    const now = Date.now()
    if (probing || now - lastProbe < timeouts.waitMs) return
    const stalled = [...running, ...pings].some((operation) => now - operation.since >= timeouts.waitMs)
    if (!stalled) return
    probing = true
    lastProbe = now
    void probe(first.options).then((alive) => {
      probing = false
      if (alive || ended) return
      // The server answers nothing: whatever waits on these connections would wait as long as TCP does.
      const dead = current
      current = open()
      Object.assign(current.options.parsers, first.options.parsers)
      Object.assign(current.options.serializers, first.options.serializers)
      onDropped('PostgreSQL did not answer a liveness check while queries waited')
      void dead.end({ timeout: 0 }).catch(() => {})
    })
  }

  // Drizzle calls `unsafe(...)` (optionally `.values()`) and `begin(...)`, and adjusts `options` once.
  const client = {
    get options() {
      return first.options
    },
    unsafe(query: string, params?: unknown[], options?: { prepare?: boolean }) {
      let values = false
      let result: Promise<unknown> | undefined
      return {
        values() {
          values = true
          return this
        },
        // Runs once, when first awaited, like postgres.js's own queries.
        then<A, B>(resolve: (value: unknown) => A, reject: (error: unknown) => B) {
          result ??= run(1, async (pool) => {
            const pending = pool.unsafe(query, params as never[], options)
            return values ? await pending.values() : await pending
          })
          return result.then(resolve, reject)
        },
      }
    },
    begin(...args: unknown[]) {
      return run(PIPELINE_DEPTH, (pool) => (pool.begin as (...a: unknown[]) => Promise<unknown>)(...args))
    },
  }

  return {
    client: client as unknown as Sql,
    ping: async () => {
      const operation = { since: Date.now(), slots: 0 }
      pings.add(operation)
      watchStalls()
      try {
        await current`select 1`
      } finally {
        pings.delete(operation)
        stopWatchingWhenIdle()
      }
    },
    end: async () => {
      ended = true
      clearInterval(watchdog)
      await current.end({ timeout: 5 })
    },
  }
}

/** The driver's code, never its message (which may quote the query's parameters). */
function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : 'connection failure'
}

/** Whether PostgreSQL answers an SSLRequest ('S' or 'N'), which it does before any authentication. */
function probe(options: Sql['options']): Promise<boolean> {
  const host = options.host[0]
  const port = options.port[0]
  const path = (options as { path?: string }).path
  if (!host && !path) return Promise.resolve(true)
  return new Promise((resolve) => {
    const socket = path ? connect(path) : connect(port ?? 5432, host)
    const done = (alive: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(alive)
    }
    const timer = setTimeout(() => done(false), PROBE_MS)
    socket.once('error', () => done(false))
    socket.once('data', () => done(true))
    socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 4, 210, 22, 47])))
  })
}
