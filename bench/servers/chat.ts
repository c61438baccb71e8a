import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { v7 as uuidv7 } from 'uuid'
import { buildApp } from '../../src/app.js'
import { chatModule } from '../../src/modules/chat/index.js'
import { benchModule } from './fanout-module.js'
import { appServer, failStartup, printReady } from './lifecycle.js'

/**
 * The app with the chat module (and the bench module for memory and CPU readings, `POST
 * /api/bench/stats`), as the chat scenarios (scenarios/chat.ts) and the scale run (chat-scale.ts) use it.
 * CHAT_SEND_RATE_LIMIT_PER_MINUTE=0: the load comes from one account.
 *
 * Unless BENCH_CHAT_SEED=none (the scale run seeds its own), it registers three accounts through the API
 * (`author`, `member`, `reader`) and creates, as the author:
 * - BENCH_CHAT_CHATS (100) groups with the other two: the spread-over-chats send scenario's;
 * - one more group: the one-chat send scenario's (every send takes that chat row's lock);
 * - one group holding BENCH_CHAT_HISTORY (1,000) messages, sent through the API by the author and the
 *   member in turn: the history scenario's;
 * - one channel the reader joined: the fan-out scenario's (the author posts, the reader's sockets listen).
 * The ready line announces the ids and the access tokens.
 *
 * Realtime runs on Redis when the bench passes REDIS_URL, in process otherwise (`realtime` on the ready line).
 */
async function start(): Promise<void> {
  const { config, serve } = appServer('plinth-bench-chat-', {
    REDIS_URL: process.env.REDIS_URL,
    CHAT_SEND_RATE_LIMIT_PER_MINUTE: '0',
    // The scale run keeps its sockets for minutes.
    ACCESS_TOKEN_TTL_SECONDS: '7200',
    LOGIN_MAX_FAILURES: '1000000000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000000',
  }, [chatModule])
  const app = await buildApp(config, { modules: [chatModule, benchModule] })
  serve(app)
  const seeded = process.env.BENCH_CHAT_SEED === 'none' ? {} : await seed(app)
  await app.listen({ host: config.host, port: config.port })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, database: app.platform.database.kind, realtime: app.platform.redis ? 'redis' : 'embedded', ...seeded })
}

interface Account {
  readonly id: string
  readonly token: string
}

async function seed(app: FastifyInstance): Promise<Record<string, unknown>> {
  const chats = count('BENCH_CHAT_CHATS', 100)
  const history = count('BENCH_CHAT_HISTORY', 1000)
  const [author, member, reader] = await Promise.all(['Author', 'Member', 'Reader'].map((name) => register(app, name)))
  const group = async (title: string): Promise<string> => (await call(app, author!, 'POST', '/api/chats', { type: 'group', title, participantIds: [member!.id, reader!.id] }, 201)).id as string
  const chatIds: string[] = []
  for (let i = 0; i < chats; i++) chatIds.push(await group(`Bench ${i}`))
  const oneChatId = await group('Bench one chat')
  const historyChatId = await group('Bench history')
  for (let i = 0; i < history; i++) await call(app, i % 2 === 0 ? author! : member!, 'POST', `/api/chats/${historyChatId}/messages`, { text: `history message ${i} ${'lorem ipsum '.repeat(8)}` }, 201)
  const channelId = (await call(app, author!, 'POST', '/api/chats', { type: 'channel', title: 'Bench channel', participantIds: [] }, 201)).id as string
  await call(app, reader!, 'POST', `/api/chats/${channelId}/join`, {}, 200)
  return {
    authorId: author!.id,
    accessToken: author!.token,
    readerToken: reader!.token,
    chatIds,
    oneChatId,
    historyChatId,
    historyMessages: history,
    channelId,
  }
}

async function register(app: FastifyInstance, name: string): Promise<Account> {
  const email = `chat-${uuidv7()}@example.com`
  const password = `bench-${randomBytes(18).toString('base64url')}`
  const response = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: `Bench ${name}` } })
  if (response.statusCode !== 201) throw new Error(`POST /api/auth/register answered ${response.statusCode}: ${response.body}`)
  const body = response.json<{ user: { id: string }; accessToken: string }>()
  return { id: body.user.id, token: body.accessToken }
}

async function call(app: FastifyInstance, as: Account, method: 'POST', url: string, payload: Record<string, unknown>, status: number): Promise<Record<string, unknown>> {
  const response = await app.inject({ method, url, headers: { authorization: `Bearer ${as.token}` }, payload })
  if (response.statusCode !== status) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body.slice(0, 500)}`)
  return response.json<Record<string, unknown>>()
}

function count(name: string, fallback: number): number {
  const raw = process.env[name]?.trim()
  const value = raw ? Number(raw) : fallback
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected a positive integer`)
  return value
}

start().catch((error: unknown) => failStartup(error))
