import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Target } from '../scenarios/scenario.js'
import type { Measurement } from './autocannon.js'
import { readServerStats } from './memory.js'
import { assertOpenFiles, openFailure, percentile, type FanoutDetails } from './realtime.js'
import type { RealtimeSettings } from './settings.js'
import type { EventMarkers } from './ws-client-process.js'
import { wsClients } from './ws-clients.js'

/**
 * The chat scenarios' helpers (scenarios/chat.ts): the bodies of the send scenarios, and the
 * send-to-delivery fan-out, where the bench sends real messages through `POST /api/chats/:id/messages`
 * and WebSocket clients (lib/ws-client-process.ts) subscribed to the chat's room time their arrival.
 */

/** A send's body: a text of the length of a short chat line and a fresh clientId, as a client sends it. */
export function sendBody(): string {
  return JSON.stringify({ text: `bench message ${'lorem ipsum '.repeat(5)}`, clientId: randomUUID() })
}

/**
 * Where the fan-out's messages carry their send time: in the text, read from the frame's bytes. Sends
 * overlap when one takes longer than the schedule's interval, so seq order need not be send order: only
 * the seqs are checked (every one, once, in order), not the index.
 */
export const CHAT_MARKERS: EventMarkers = { sentAt: 'bench-sentAt=' }
const INDEX_MARKER = 'bench-i='
/** Sends of the fan-out in flight at most: enough to hold the rate when a send takes several intervals. */
const MAX_SENDS_IN_FLIGHT = 8

/** After the last send, how long the sockets may take to receive the rest. */
const DRAIN_TIMEOUT_MS = 15_000

function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

function readyField(target: Target, name: string): string {
  const value = target.ready[name]
  if (typeof value !== 'string') throw new Error(`the ready line has no string "${name}": ${JSON.stringify(target.ready).slice(0, 300)}`)
  return value
}

/**
 * `sockets` clients (the reader's token) subscribe to the channel's room `chat:<id>`; the author sends
 * `rate` messages a second for `durationSeconds` through the API on a fixed schedule (message i due at
 * start + i/rate; a late sender catches up), up to MAX_SENDS_IN_FLIGHT at once: its text carries its
 * index and the wall-clock time read just before the request. Latency = receipt − that time: the request,
 * the transaction, the publish (with Redis its script and pub/sub) and the sends to every socket.
 * Every socket must get every `message.sent` once and in order.
 */
export async function measureChatFanout(target: Target, options: { readonly sockets: number; readonly durationSeconds: number; readonly settings: RealtimeSettings }): Promise<Measurement> {
  const { sockets, settings } = options
  const channelId = readyField(target, 'channelId')
  const author = { authorization: `Bearer ${readyField(target, 'accessToken')}` }
  const reader = { authorization: `Bearer ${readyField(target, 'readerToken')}` }
  const statsUrl = new URL('/api/bench/stats', target.url)
  const sendUrl = new URL(`/api/chats/${channelId}/messages`, target.url)
  const rate = settings.fanoutRate
  const events = Math.max(1, Math.round(rate * options.durationSeconds))
  assertOpenFiles(sockets, settings.clientProcesses)
  const clients = await wsClients(settings.clientProcesses)
  try {
    const opened = await clients.open(`${target.url.replace(/^http/, 'ws')}/api/realtime`, reader, sockets)
    if (opened.failed > 0) throw new Error(openFailure(opened.failed, sockets, opened.failures))
    const subscription = await clients.subscribe(`chat:${channelId}`)
    if (subscription.failed > 0) throw new Error(`${subscription.failed} of ${sockets} subscriptions failed: ${subscription.failures.join('; ')}`)
    await clients.arm(events, CHAT_MARKERS)
    const before = await readServerStats(statsUrl, author, false)
    const statusCodes: Record<string, number> = {}
    let non2xx = 0
    let maxLagMs = 0
    const start = wallClockMs()
    let firstSentAt = 0
    let lastSentAt = 0
    const inFlight = new Set<Promise<void>>()
    const send = async (i: number, sentAt: number): Promise<void> => {
      let status = 0
      try {
        const response = await fetch(sendUrl, {
          method: 'POST',
          headers: { ...author, 'content-type': 'application/json' },
          body: JSON.stringify({ text: `${INDEX_MARKER}${i} ${CHAT_MARKERS.sentAt}${sentAt.toFixed(3)}`, clientId: randomUUID() }),
        })
        await response.arrayBuffer()
        status = response.status
      } catch {
        // status 0: the request failed
      }
      statusCodes[status] = (statusCodes[status] ?? 0) + 1
      if (status !== 201) non2xx++
    }
    for (let i = 0; i < events; i++) {
      const due = start + (i * 1000) / rate
      const wait = due - wallClockMs()
      if (wait > 0) await sleep(wait)
      while (inFlight.size >= MAX_SENDS_IN_FLIGHT) await Promise.race(inFlight)
      const sentAt = wallClockMs()
      maxLagMs = Math.max(maxLagMs, sentAt - due)
      if (i === 0) firstSentAt = sentAt
      lastSentAt = sentAt
      const sending: Promise<void> = send(i, sentAt).finally(() => inFlight.delete(sending))
      inFlight.add(sending)
    }
    await Promise.all(inFlight)
    const collected = await clients.collect(DRAIN_TIMEOUT_MS)
    const after = await readServerStats(statsUrl, author, false)
    const latencies = collected.latenciesMs.sort()
    const elapsedMs = collected.lastReceivedAt - firstSentAt
    const serverWindowMs = after.at - before.at
    const fanout: FanoutDetails = {
      mode: 'rate',
      sockets,
      events,
      targetRatePerSecond: rate,
      publishedPerSecond: events > 1 ? (events - 1) / ((lastSentAt - firstSentAt) / 1000) : 0,
      publishMaxLagMs: maxLagMs,
      messageBytes: collected.messageBytes,
      expectedDeliveries: sockets * events,
      deliveries: collected.deliveries,
      lost: collected.lost,
      duplicated: collected.duplicated,
      outOfOrder: collected.outOfOrder,
      closed: collected.closed,
      unexpected: collected.unexpected,
      failures: collected.failures,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      latencyMaxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : 0,
      elapsedMs,
      serverCpuPercent: serverWindowMs > 0 ? (100 * (after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs)) / serverWindowMs : 0,
      clientCpuPercent: collected.wallMs > 0 ? (100 * collected.cpuMs) / collected.wallMs : 0,
      clientProcesses: clients.processes,
    }
    return {
      connections: sockets,
      requestsPerSecond: elapsedMs > 0 ? collected.deliveries / (elapsedMs / 1000) : 0,
      latencyP50Ms: fanout.latencyP50Ms,
      latencyP99Ms: fanout.latencyP99Ms,
      totalRequests: collected.deliveries,
      non2xx,
      errors: collected.closed + collected.unexpected,
      timeouts: collected.timedOut ? 1 : 0,
      statusCodes,
      fanout,
    }
  } finally {
    await clients.close()
  }
}
