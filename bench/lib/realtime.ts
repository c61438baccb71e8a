import { randomUUID } from 'node:crypto'
import type { PublishResult } from '../servers/realtime-control.js'
import type { Target } from '../scenarios/scenario.js'
import type { Measurement } from './autocannon.js'
import { postJson } from './control.js'
import { openFilesLimit } from './limits.js'
import { memoryMeasurement, readServerStats } from './memory.js'
import type { RealtimeSettings } from './settings.js'
import { wsClients, type WsClients } from './ws-clients.js'

/** What a fan-out run published and delivered; `Measurement.requestsPerSecond` is deliveries/s. */
export interface FanoutDetails {
  /** `max`: as fast as the server publishes (throughput); `rate`: a fixed rate (latency). */
  readonly mode: 'max' | 'rate'
  readonly sockets: number
  readonly events: number
  /** The fixed rate asked for (events/s), null in `max` mode. */
  readonly targetRatePerSecond: number | null
  /** Events/s the publisher achieved, first to last publish. */
  readonly publishedPerSecond: number
  /** How far the fixed-rate publisher fell behind its schedule at worst (ms). */
  readonly publishMaxLagMs: number
  readonly messageBytes: number
  readonly expectedDeliveries: number
  readonly deliveries: number
  readonly lost: number
  readonly duplicated: number
  readonly outOfOrder: number
  /** Sockets closed (e.g. 4409 slow consumer) or errored during the run, and unexpected messages. */
  readonly closed: number
  readonly unexpected: number
  readonly failures: readonly string[]
  /** Publish-to-receive latency of first deliveries, ms. */
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly latencyMaxMs: number
  /** First publish to last delivery (ms): the window of deliveries/s. */
  readonly elapsedMs: number
  /** CPU used during the run in % of one core: the server, and all client processes together. */
  readonly serverCpuPercent: number
  readonly clientCpuPercent: number
  readonly clientProcesses: number
}

/** The `max` fan-out publishes this many events per second of the scenario's duration (BENCH_DURATION, BENCH_WARMUP). */
const MAX_MODE_EVENTS_PER_SECOND = 100
/**
 * The `max` fan-out publishes at most this much per socket, so a socket's backlog can never reach the
 * gateway's slow-consumer limit (REALTIME_MAX_BUFFER_BYTES, 1 MiB by default) and close it.
 */
const MAX_MODE_BYTES_PER_SOCKET = 512 * 1024
/** After the publisher is done, how long the clients may take to receive the rest. */
const DRAIN_TIMEOUT_MS = 15_000
/** File descriptors a process needs besides its sockets (stdio, pipes, its own files). */
const SPARE_FILE_DESCRIPTORS = 64

/** Where a realtime server takes sockets and control requests: the app (bench module) or the bare ws server. */
interface Endpoint {
  readonly wsUrl: string
  readonly publishUrl: URL
  readonly statsUrl: URL
  readonly headers: Readonly<Record<string, string>>
}

function endpoint(target: Target): Endpoint {
  const wsUrl = `${target.url.replace(/^http/, 'ws')}/api/realtime`
  if (target.ready.realtime === 'bare-ws') {
    return { wsUrl, publishUrl: new URL('/publish', target.url), statsUrl: new URL('/stats', target.url), headers: {} }
  }
  const token = target.ready.accessToken
  if (typeof token !== 'string') throw new Error(`the ready line has no accessToken: ${JSON.stringify(target.ready)}`)
  return {
    wsUrl,
    publishUrl: new URL('/api/bench/publish', target.url),
    statsUrl: new URL('/api/bench/stats', target.url),
    headers: { authorization: `Bearer ${token}` },
  }
}

/** Throws unless the server answers its stats route (and, for `expect`, runs realtime that way). */
export async function checkRealtime(target: Target, expect: 'bare-ws' | 'embedded' | 'redis'): Promise<void> {
  if (target.ready.realtime !== expect) throw new Error(`the server's realtime is ${JSON.stringify(target.ready.realtime)}, expected ${expect}`)
  const server = endpoint(target)
  const stats = await readServerStats(server.statsUrl, server.headers, false)
  if (!(stats.rssBytes > 0)) throw new Error(`the stats route answered no memory: ${JSON.stringify(stats)}`)
}

/**
 * One fan-out run: `sockets` clients subscribe to a fresh room, the server publishes to it (a fixed
 * rate for `durationSeconds`, or `max`: as fast as it can), every socket must receive every event
 * once and in order. deliveries/s = deliveries over first publish → last delivery.
 */
export async function measureFanout(
  target: Target,
  options: { readonly mode: 'max' | 'rate'; readonly sockets: number; readonly durationSeconds: number; readonly settings: RealtimeSettings },
): Promise<Measurement> {
  const { mode, sockets, settings } = options
  const server = endpoint(target)
  const room = `bench:fanout-${randomUUID()}`
  const events =
    mode === 'rate'
      ? Math.max(1, Math.round(settings.fanoutRate * options.durationSeconds))
      : Math.max(1, Math.min(MAX_MODE_EVENTS_PER_SECOND * options.durationSeconds, Math.floor(MAX_MODE_BYTES_PER_SOCKET / estimatedMessageBytes(room, settings.payloadBytes))))
  assertOpenFiles(sockets, settings.clientProcesses)
  const clients = await wsClients(settings.clientProcesses)
  try {
    await openAndSubscribe(clients, server, sockets, room)
    await clients.arm(events)
    const before = await readServerStats(server.statsUrl, server.headers, false)
    const published = (await postJson(
      server.publishUrl,
      {
        room,
        count: events,
        payloadBytes: settings.payloadBytes,
        ...(mode === 'rate' ? { ratePerSecond: settings.fanoutRate } : {}),
      },
      server.headers,
    )) as unknown as PublishResult
    const collected = await clients.collect(DRAIN_TIMEOUT_MS)
    const after = await readServerStats(server.statsUrl, server.headers, false)

    const latencies = collected.latenciesMs.sort()
    const elapsedMs = collected.lastReceivedAt - published.firstSentAt
    const deliveriesPerSecond = elapsedMs > 0 ? collected.deliveries / (elapsedMs / 1000) : 0
    const serverWindowMs = after.at - before.at
    const fanout: FanoutDetails = {
      mode,
      sockets,
      events,
      targetRatePerSecond: mode === 'rate' ? settings.fanoutRate : null,
      publishedPerSecond: events > 1 ? (events - 1) / ((published.lastSentAt - published.firstSentAt) / 1000) : 0,
      publishMaxLagMs: published.maxLagMs,
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
      requestsPerSecond: deliveriesPerSecond,
      latencyP50Ms: fanout.latencyP50Ms,
      latencyP99Ms: fanout.latencyP99Ms,
      totalRequests: collected.deliveries,
      non2xx: 0,
      errors: collected.closed + collected.unexpected,
      timeouts: collected.timedOut ? 1 : 0,
      statusCodes: {},
      fanout,
    }
  } finally {
    await clients.close()
  }
}

/**
 * Idle memory: the server's RSS (after a full GC and a settle delay) before any socket, with
 * `sockets` authenticated sockets connected (each got `ready`), then with each of them subscribed to
 * one shared room. Per socket = (phase − before) / sockets.
 */
export async function measureIdleMemory(target: Target, options: { readonly sockets: number; readonly settings: RealtimeSettings }): Promise<Measurement> {
  const { sockets, settings } = options
  const server = endpoint(target)
  assertOpenFiles(sockets, settings.clientProcesses)
  const clients = await wsClients(settings.clientProcesses)
  try {
    const before = await readServerStats(server.statsUrl, server.headers, true, true)
    const opened = await clients.open(server.wsUrl, server.headers, sockets)
    if (opened.failed > 0) throw new Error(openFailure(opened.failed, sockets, opened.failures))
    const connected = await readServerStats(server.statsUrl, server.headers, true)
    const subscription = await clients.subscribe(`bench:idle-${randomUUID()}`)
    if (subscription.failed > 0) throw new Error(`${subscription.failed} of ${sockets} subscriptions failed: ${subscription.failures.join('; ')}`)
    const subscribed = await readServerStats(server.statsUrl, server.headers, true)
    return memoryMeasurement('socket', sockets, [
      ['before', before],
      ['connected', connected],
      ['connected + subscribed', subscribed],
    ])
  } finally {
    await clients.close()
  }
}

async function openAndSubscribe(clients: WsClients, server: Endpoint, sockets: number, room: string): Promise<void> {
  const opened = await clients.open(server.wsUrl, server.headers, sockets)
  if (opened.failed > 0) throw new Error(openFailure(opened.failed, sockets, opened.failures))
  const subscription = await clients.subscribe(room)
  if (subscription.failed > 0) throw new Error(`${subscription.failed} of ${sockets} subscriptions failed: ${subscription.failures.join('; ')}`)
  if (subscription.maxHead !== 0) throw new Error(`the fresh room ${room} already has events (head ${subscription.maxHead})`)
}

export function openFailure(failed: number, sockets: number, failures: readonly string[]): string {
  const hint = failures.some((failure) => failure.includes('EMFILE')) ? ' (out of file descriptors: raise `ulimit -n`)' : ''
  return `${failed} of ${sockets} sockets failed to connect${hint}: ${failures.join('; ')}`
}

/** The server holds every socket and each client process its share: both inherit the bench's `ulimit -n`. */
export function assertOpenFiles(sockets: number, clientProcesses: number): void {
  const limit = openFilesLimit()
  const needed = sockets + SPARE_FILE_DESCRIPTORS
  if (limit !== null && limit < needed) {
    throw new Error(
      `ulimit -n is ${limit}: the server needs ${needed} file descriptors for ${sockets} sockets (the clients ${Math.ceil(sockets / clientProcesses) + SPARE_FILE_DESCRIPTORS} per process). Raise it (e.g. \`ulimit -n 20000\`, up to \`ulimit -Hn\`) and rerun.`,
    )
  }
}

/** A `bench.tick` event as the gateway sends it, with wide numbers: an upper bound of the real size. */
function estimatedMessageBytes(room: string, payloadBytes: number): number {
  const data = { sentAt: 1_800_000_000_000.123, i: 999_999, pad: 'x'.repeat(payloadBytes) }
  return Buffer.byteLength(JSON.stringify({ type: 'event', room, seq: 999_999, event: 'bench.tick', data, at: new Date().toISOString() }))
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}
