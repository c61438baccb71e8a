import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import postgres from 'postgres'
import { postgresJsTarget } from '../../src/core/db/connection.js'
import { exitOnShutdown, failStartup, printReady } from './lifecycle.js'

/**
 * The floor under sending a chat message (`POST /api/chats/:id/messages`): `Fastify()` with no logger,
 * plugins or hooks, postgres.js with the app's pool size, and one route running the single INSERT of a
 * message, answering the row with 201. The table, `bench_chat_messages`, is `chat_messages` copied with
 * `LIKE … INCLUDING ALL` (the same columns, defaults, generated full-text column, checks and indexes: the
 * unique (chat, seq) and (chat, author, clientId) ones, the GIN search index) but without its foreign keys;
 * its `seq` comes from a sequence, so there is no per-chat serialization: no access check, no chat row lock,
 * no read mark, no event. It is created on the run's database once the chat server migrated it, and
 * truncated at each start.
 */
let sql: postgres.Sql | undefined
const app = Fastify()
const authorId = randomUUID()

app.post<{ Params: { id: string }; Body: { text?: string; clientId?: string } }>('/chats/:id/messages', async (request, reply) => {
  const { text, clientId } = request.body ?? {}
  const [row] = await sql!`
    insert into bench_chat_messages (id, chat_id, seq, author_id, type, text, client_id, created_at)
    values (${randomUUID()}, ${request.params.id}, nextval('bench_chat_messages_seq'), ${authorId}, 'text', ${text ?? null}, ${clientId ?? null}, now())
    returning *`
  return reply.code(201).send(row)
})

exitOnShutdown(async () => {
  await app.close()
  await sql?.end({ timeout: 5 })
})

async function start(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim()
  if (!url) throw new Error('DATABASE_URL is not set: the bench passes the run\'s database to every server')
  const poolSize = Number(process.env.DATABASE_POOL_SIZE?.trim() || 10)
  const target = postgresJsTarget(url)
  sql = postgres(target.url, { ...target.options, max: poolSize, onnotice: () => {}, connection: { application_name: 'plinth-bench-bare-insert' } })
  const [migrated] = await sql<{ exists: boolean }[]>`select to_regclass('chat_messages') is not null as exists`
  if (!migrated?.exists) throw new Error('no "chat_messages" table: the chat server migrates the database, so run the chat scenarios first (they precede bare-insert)')
  await sql`create table if not exists bench_chat_messages (like chat_messages including all)`
  await sql`create sequence if not exists bench_chat_messages_seq`
  await sql`truncate bench_chat_messages`
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, poolSize, database: 'postgres', chatIds: Array.from({ length: 100 }, () => randomUUID()) })
}

start().catch((error: unknown) => failStartup(error, () => void sql?.end({ timeout: 1 })))
