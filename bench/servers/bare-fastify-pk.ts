import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import postgres from 'postgres'
import { postgresJsTarget } from '../../src/core/db/connection.js'
import { exitOnShutdown, failStartup, printReady } from './lifecycle.js'

/**
 * The floor under GET /api/auth/me: `Fastify()` with no logger, no plugins and no hooks, the same
 * driver as the app (postgres.js) with the same pool size, and one route running the primary-key
 * SELECT /me runs (every column of `users`, `where id = $1 and deleted_at is null limit 1`),
 * answering the row as JSON. It reads the account the app server registered (`BENCH_USER_ID`, or
 * the first live account) on the run's database: DATABASE_URL, which the bench sets to the embedded
 * server's socket URL when the shell has none.
 *
 * The query goes through postgres.js's tagged template, i.e. the driver's default: a named
 * prepared statement per connection. Drizzle sends the app's queries unnamed (parsed each time);
 * that difference is part of what the /me ratio measures.
 */
let sql: postgres.Sql | undefined
const app = Fastify()

app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
  const [row] = await sql!`
    select id, version, created_at, updated_at, email, username, name, avatar_url, password_hash, role, disabled, email_verified_at, deleted_at
    from users
    where id = ${request.params.id} and deleted_at is null
    limit 1`
  if (!row) return reply.code(404).send({ error: 'not found' })
  return row
})

exitOnShutdown(async () => {
  await app.close()
  await sql?.end({ timeout: 5 })
})

async function start(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim()
  if (!url) throw new Error('DATABASE_URL is not set: the bench passes the run\'s database to every server')
  const poolSize = poolSizeFrom(process.env.DATABASE_POOL_SIZE)
  // As the app connects: postgres.js takes a Unix socket's folder (the embedded server's) only as `host`.
  const target = postgresJsTarget(url)
  sql = postgres(target.url, { ...target.options, max: poolSize, onnotice: () => {}, connection: { application_name: 'plinth-bench-bare' } })
  const userId = process.env.BENCH_USER_ID?.trim() || (await firstUserId(sql))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, userId, poolSize, database: 'postgres' })
}

async function firstUserId(client: postgres.Sql): Promise<string> {
  const [row] = await client<{ id: string }[]>`select id from users where deleted_at is null limit 1`
  if (!row) throw new Error('no live account in "users": the app server registers one, so run the app scenarios first (they precede bare-pk)')
  return row.id
}

/** As src/config reads DATABASE_POOL_SIZE: an integer 1–500, default 10. */
function poolSizeFrom(raw: string | undefined): number {
  if (!raw?.trim()) return 10
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 500) throw new Error(`DATABASE_POOL_SIZE=${JSON.stringify(raw)} is invalid: expected an integer 1–500`)
  return value
}

start().catch((error: unknown) => failStartup(error, () => void sql?.end({ timeout: 1 })))
