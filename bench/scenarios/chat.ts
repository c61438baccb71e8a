import { measureChatFanout, sendBody } from '../lib/chat.js'
import { field, httpScenario, type Scenario, type Target } from './scenario.js'

/**
 * The chat module (servers/chat.ts seeds the chats; see bench/README.md, *Chat*):
 *
 * - `chat-send-spread`: `POST /api/chats/:id/messages` by one author, each request to the next of 100
 *   group chats (three members each), 32 connections: messages persisted per second and p99, against
 *   `bare-insert` (goal ≥ 0.5×, p99 ≤ 50 ms);
 * - `chat-send-one`: the same into one chat, whose row lock allocates every seq (goal ≥ 0.2×);
 * - `chat-history`: `GET /api/chats/:id/messages?limit=50&before=<seq>`, a random cursor per request
 *   over a chat of BENCH_CHAT_HISTORY (1,000) messages: pages/s and p99;
 * - `chat-fanout-rate`: send-to-delivery latency of messages sent through the API at BENCH_FANOUT_RATE
 *   (20) a second to a channel whose room BENCH_FANOUT_SOCKETS (1,000) sockets subscribe to (goal p99 < 100 ms);
 * - `bare-insert`: the baseline, bare Fastify + postgres.js doing the message's single INSERT
 *   (servers/bare-fastify-insert.ts), 32 connections, spread over 100 chat ids as `chat-send-spread`.
 */

/** The send scenarios' and the baseline's concurrency (issue 12: "at 32 connections"). */
export const CHAT_SEND_CONNECTIONS = 32
const SPREAD_GOAL = 0.5
const ONE_CHAT_GOAL = 0.2
const SEND_P99_GOAL_MS = 50
const FANOUT_P99_GOAL_MS = 100
const HISTORY_PAGE = 50

function chatIds(target: Target): string[] {
  const ids = target.ready.chatIds
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) throw new Error(`the ready line has no chatIds: ${JSON.stringify(target.ready).slice(0, 300)}`)
  return ids
}

function readyText(target: Target, name: string): string {
  const value = target.ready[name]
  if (typeof value !== 'string') throw new Error(`the ready line has no string "${name}"`)
  return value
}

const bearer = (target: Target): Record<string, string> => ({ authorization: `Bearer ${readyText(target, 'accessToken')}`, 'content-type': 'application/json' })

/** Each request to the next chat of the list, in turn, with a fresh clientId. */
function rotating(ids: readonly string[], prefix: string): () => { path: string; body: string } {
  let next = 0
  return () => ({ path: `${prefix}/chats/${ids[next++ % ids.length]!}/messages`, body: sendBody() })
}

const storedMessage = (body: unknown): string | undefined => (typeof field(body, 'seq') === 'number' && typeof field(body, 'id') === 'string' ? undefined : 'expected the stored message with its seq')

export const bareInsert = httpScenario({
  key: 'bare-insert',
  label: 'bare INSERT',
  title: 'bare Fastify POST /chats/:id/messages (one INSERT, postgres.js)',
  server: 'bare-fastify-insert',
  againstBaseline: false,
  connections: () => CHAT_SEND_CONNECTIONS,
  request: (target) => {
    const ids = chatIds(target)
    return { url: `/chats/${ids[0]!}/messages`, method: 'POST', headers: { 'content-type': 'application/json' }, body: sendBody(), vary: rotating(ids, '') }
  },
  verify: storedMessage,
})

export const chatSendSpread = httpScenario({
  key: 'chat-send-spread',
  label: 'chat send, 100 chats',
  title: 'Plinth POST /api/chats/:id/messages, 100 chats',
  server: 'chat',
  againstBaseline: false,
  connections: () => CHAT_SEND_CONNECTIONS,
  compareTo: [{ key: 'bare-insert', goal: SPREAD_GOAL }],
  latencyComparedTo: ['bare-insert'],
  limits: [{ what: 'p99', unit: 'ms', comparison: '≤', limit: SEND_P99_GOAL_MS, value: (m) => m.latencyP99Ms }],
  request: (target) => {
    const ids = chatIds(target)
    return { url: `/api/chats/${ids[0]!}/messages`, method: 'POST', headers: bearer(target), body: sendBody(), vary: rotating(ids, '/api') }
  },
  verify: storedMessage,
})

export const chatSendOne = httpScenario({
  key: 'chat-send-one',
  label: 'chat send, 1 chat',
  title: 'Plinth POST /api/chats/:id/messages, 1 chat',
  server: 'chat',
  againstBaseline: false,
  connections: () => CHAT_SEND_CONNECTIONS,
  compareTo: [{ key: 'bare-insert', goal: ONE_CHAT_GOAL }, 'chat-send-spread'],
  latencyComparedTo: ['bare-insert'],
  request: (target) => {
    const id = readyText(target, 'oneChatId')
    return { url: `/api/chats/${id}/messages`, method: 'POST', headers: bearer(target), body: sendBody(), vary: rotating([id], '/api') }
  },
  verify: storedMessage,
})

export const chatHistory = httpScenario({
  key: 'chat-history',
  label: 'chat history page',
  title: 'Plinth GET /api/chats/:id/messages?limit=50&before=<seq>',
  server: 'chat',
  latencyComparedTo: ['me'],
  request: (target) => {
    const id = readyText(target, 'historyChatId')
    const total = target.ready.historyMessages
    if (typeof total !== 'number' || total < HISTORY_PAGE) throw new Error(`the history chat has ${String(total)} messages: at least ${HISTORY_PAGE} needed`)
    const path = (): string => `/api/chats/${id}/messages?limit=${HISTORY_PAGE}&before=${HISTORY_PAGE + 1 + Math.floor(Math.random() * (total - HISTORY_PAGE + 1))}`
    return { url: path(), headers: { authorization: bearer(target).authorization! }, vary: () => ({ path: path() }) }
  },
  verify: (body) => {
    const items = field(body, 'items')
    return Array.isArray(items) && items.length === HISTORY_PAGE && typeof field(body, 'nextCursor') === 'string' ? undefined : `expected a page of ${HISTORY_PAGE} messages and a cursor`
  },
})

export const chatFanoutRate: Scenario = {
  key: 'chat-fanout-rate',
  label: 'chat send-to-delivery',
  title: 'Plinth chat messages to 1 channel, fixed rate',
  server: 'chat',
  againstBaseline: false,
  latencyComparedTo: ['fanout-rate', 'fanout-redis-rate'],
  limits: [{ what: 'p99', unit: 'ms', comparison: '<', limit: FANOUT_P99_GOAL_MS, value: (m) => m.fanout?.latencyP99Ms }],
  connections: (settings) => settings.realtime.fanoutSockets,
  check: async (target) => {
    const response = await fetch(new URL(`/api/chats/${readyText(target, 'channelId')}`, target.url), { headers: { authorization: `Bearer ${readyText(target, 'readerToken')}` } })
    if (!response.ok) throw new Error(`GET /api/chats/:channelId as the reader answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  },
  measure: (target, load) => measureChatFanout(target, { sockets: load.connections, durationSeconds: load.durationSeconds, settings: load.settings.realtime }),
}
