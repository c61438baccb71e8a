import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { getHeapStatistics } from 'node:v8'

/**
 * Shared by the two realtime servers of the bench (the app's bench module, fanout-module.ts, and the
 * bare `ws` server, bare-ws.ts), so both publish the same events on the same schedule and report
 * their memory the same way.
 */

/**
 * Wall-clock milliseconds with sub-millisecond resolution: the process's start time (microseconds)
 * plus the monotonic clock since. Processes on one machine agree to well under a millisecond, so a
 * client subtracts the server's `sentAt` from its own reading of this clock.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

/** `POST …/publish`: `count` events to `room`, at `ratePerSecond` or as fast as the server can. */
export interface PublishRequest {
  readonly room: string
  readonly count: number
  /** Events per second on a fixed schedule; absent: as fast as possible (one event per event-loop turn). */
  readonly ratePerSecond?: number
  /** Length of the `pad` string in each event's data. */
  readonly payloadBytes: number
}

/** The `data` of every `bench.tick` event: the publish timestamp (wallClockMs), the publisher's index, padding. */
export interface TickData {
  readonly sentAt: number
  readonly i: number
  readonly pad: string
}

export interface PublishResult {
  readonly published: number
  readonly ratePerSecond: number | null
  /** wallClockMs of the first and last publish. */
  readonly firstSentAt: number
  readonly lastSentAt: number
  /** How far behind its schedule the publisher fell at worst (rate mode; 0 otherwise). */
  readonly maxLagMs: number
}

export const TICK_EVENT = 'bench.tick'
const MAX_PAYLOAD_BYTES = 32 * 1024
const MAX_EVENTS = 1_000_000

/** The request body, or a problem description. */
export function parsePublishRequest(body: unknown): PublishRequest | string {
  const value = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const { room, count, ratePerSecond, payloadBytes = 0 } = value
  if (typeof room !== 'string' || !/^bench:[A-Za-z0-9._:-]{1,200}$/.test(room)) return 'room must be "bench:<id>"'
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_EVENTS) return `count must be an integer 1–${MAX_EVENTS}`
  if (ratePerSecond !== undefined && ratePerSecond !== null && !(typeof ratePerSecond === 'number' && ratePerSecond > 0 && ratePerSecond <= 1_000_000)) {
    return 'ratePerSecond must be a positive number (or absent: as fast as possible)'
  }
  if (!Number.isInteger(payloadBytes) || (payloadBytes as number) < 0 || (payloadBytes as number) > MAX_PAYLOAD_BYTES) return `payloadBytes must be an integer 0–${MAX_PAYLOAD_BYTES}`
  return { room, count: count as number, payloadBytes: payloadBytes as number, ...(typeof ratePerSecond === 'number' ? { ratePerSecond } : {}) }
}

/**
 * Publishes `count` events through `publishOne`, each awaited before the next. With a rate, event i is
 * due at start + i / rate (a late publisher catches up rather than drifting); without, it yields one
 * event-loop turn between events so the server still reads its sockets. `sentAt` is taken just before
 * `publishOne`, so the latency clients compute includes the whole publish.
 */
export async function publishEvents(request: PublishRequest, publishOne: (data: TickData) => Promise<unknown> | void): Promise<PublishResult> {
  const pad = 'x'.repeat(request.payloadBytes)
  const rate = request.ratePerSecond
  const interval = rate === undefined ? 0 : 1000 / rate
  const start = performance.now()
  let firstSentAt = 0
  let lastSentAt = 0
  let maxLagMs = 0
  for (let i = 0; i < request.count; i++) {
    if (rate !== undefined) {
      const due = start + i * interval
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      maxLagMs = Math.max(maxLagMs, performance.now() - due)
    } else if (i > 0) {
      await nextTurn()
    }
    const sentAt = wallClockMs()
    if (i === 0) firstSentAt = sentAt
    lastSentAt = sentAt
    await publishOne({ sentAt, i, pad })
  }
  return { published: request.count, ratePerSecond: rate ?? null, firstSentAt, lastSentAt, maxLagMs }
}

/** `POST …/stats`: the server's own memory and CPU time. */
export interface StatsRequest {
  /** First grow V8's young generation to its full size (see `growYoungGeneration`). */
  readonly warm: boolean
  /** Run `global.gc()` (twice, with the settle delay between) first; needs node --expose-gc. */
  readonly gc: boolean
  readonly settleMs: number
}

export interface ProcessStats {
  readonly rssBytes: number
  readonly heapUsedBytes: number
  readonly heapTotalBytes: number
  readonly externalBytes: number
  readonly arrayBuffersBytes: number
  readonly cpuUserMs: number
  readonly cpuSystemMs: number
  /** Whether `global.gc` exists (node --expose-gc): without it, memory is read without collecting first. */
  /**
   * V8 heap pages that are resident but hold no live object: after a full GC, mostly the young
   * generation (which V8 grows once, to tens of MiB, under allocation pressure) and old-space free lists.
   */
  readonly heapFreeResidentBytes: number
  readonly gcExposed: boolean
  readonly at: number
}

export function parseStatsRequest(body: unknown): StatsRequest {
  const value = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const settleMs = typeof value.settleMs === 'number' && value.settleMs >= 0 ? Math.min(value.settleMs, 30_000) : 0
  return { warm: value.warm === true, gc: value.gc === true, settleMs }
}

/**
 * V8 grows its young generation (new space, up to 2 × 16 MiB) once enough allocated bytes survive a
 * scavenge, and keeps the pages resident, empty, after every GC. Left alone, that one-time growth of
 * ~25 MiB happens while the measured load allocates and lands in its per-unit RSS (5 KiB per socket at
 * 5,000 sockets, more than the sockets themselves). So before the first reading of a memory scenario:
 * allocate 256 MiB of ~1 KiB arrays, each kept alive for the next 2 MiB of allocation (they survive
 * one scavenge, rarely two, so little reaches the old generation).
 */
function growYoungGeneration(): void {
  const ring: unknown[] = new Array<unknown>(2 * 1024)
  for (let i = 0; i < 256 * 1024; i++) ring[i % ring.length] = new Array<number>(120).fill(i)
}

/**
 * Memory after a full collection and a settle delay (V8 sweeps and releases pages on background
 * threads after `gc()` returns), and CPU time used so far.
 */
export async function processStats(request: StatsRequest): Promise<ProcessStats> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (request.warm) growYoungGeneration()
  if (request.gc && gc) {
    gc()
    await sleep(request.settleMs / 2)
    gc()
    await sleep(request.settleMs / 2)
  } else if (request.settleMs > 0) {
    await sleep(request.settleMs)
  }
  const memory = process.memoryUsage()
  const heap = getHeapStatistics()
  const cpu = process.cpuUsage()
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
    heapFreeResidentBytes: Math.max(0, heap.total_physical_size - heap.used_heap_size),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    gcExposed: gc !== undefined,
    at: wallClockMs(),
  }
}
