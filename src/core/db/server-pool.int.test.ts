import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { workerDatabaseUrl } from '../../../test/helpers/database.js'
import { createDatabase, type Database } from './client.js'
import { isDatabaseUnavailable } from './unavailable.js'

/**
 * The PostgreSQL pool's bounds while the server is alive but busy.
 * Bounds are the promised behaviour with margin, not performance.
 */
describe('the PostgreSQL pool', () => {
  const opened: Database[] = []
  afterAll(async () => {
    for (const database of opened) await database.close()
  })
  const open = async (timeouts: { waitMs?: number; statementMs?: number }): Promise<Database> => {
    const database = await createDatabase({
      url: workerDatabaseUrl(),
      poolSize: 2,
      dataDir: '/nonexistent',
      timeouts: { connectMs: 3000, waitMs: 1000, statementMs: 30_000, idleInTransactionMs: 60_000, ...timeouts },
    })
    opened.push(database)
    return database
  }
  const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)

  it('a query waiting for a busy pool fails after the wait bound and never runs; slow work on a live server is left to finish', async () => {
    const database = await open({ waitMs: 1000 })
    const marker = `waited-${crypto.randomUUID()}`
    // A transaction reserves its connection: these two take the whole pool first (same path, in order).
    const slowTransaction = () => database.db.transaction(async (tx) => tx.execute(sql`select pg_sleep(2.5)`))
    const slow = [slowTransaction(), slowTransaction()]
    const started = performance.now()
    const error = await failure(Promise.resolve(database.db.execute(sql`select ${marker}::text as marker`)))
    expect(performance.now() - started).toBeLessThan(1000 + 1500)
    expect(isDatabaseUnavailable(error), String(error)).toBe(true)
    // The sleeping queries outlived the wait bound: the server answered the liveness check, so they finish.
    await expect(Promise.all(slow)).resolves.toHaveLength(2)
    const seen = await database.db.execute(sql`select count(*)::int as n from pg_stat_activity where query like ${`%${marker}%`} and query not like '%pg_stat_activity%'`)
    expect((seen as { n: number }[])[0]?.n).toBe(0)
  })

  it('plain queries share busy connections (pipelined, as postgres.js does) instead of waiting for a free one', async () => {
    const database = await open({ waitMs: 1000 })
    // One per connection at a time, the last two would wait 1.2 s for a turn and be refused at 1 s.
    const queries = Array.from({ length: 6 }, () => Promise.resolve(database.db.execute(sql`select pg_sleep(0.6)`)))
    await expect(Promise.all(queries)).resolves.toHaveLength(6)
  })

  it('a statement past DATABASE_STATEMENT_TIMEOUT_MS is stopped by the server and reads as unavailable (503)', async () => {
    const database = await open({ statementMs: 300 })
    const error = await failure(database.db.execute(sql`select pg_sleep(3)`))
    expect(isDatabaseUnavailable(error)).toBe(true)
    await expect(database.db.execute(sql`select 1`)).resolves.toBeDefined()
  })
})
