import type { Measurement } from './autocannon.js'
import { readServerStats } from './memory.js'
import type { ProcessStats } from '../servers/realtime-control.js'
import { percentile } from './realtime.js'

/**
 * The ColorBook scenarios' helpers (scenarios/colorbook.ts). Writes that carry the version they edit
 * cannot be repeated blindly by autocannon (the second would be stale: 409), so they run as a closed
 * loop: each worker sends its next request when the previous answered, keeping its own state (the
 * version it edits) from the answers.
 */

type Json = Record<string, unknown>

/** `count` strokes of `points` points each, as a drawing app sends them. */
export function strokes(count: number, points: number): Json[] {
  return Array.from({ length: count }, (_, s) => ({
    points: Array.from({ length: points }, (_, p) => [Math.round((s * 7 + p * 3.1) * 10) / 10, Math.round((s * 5 + p * 2.3) * 10) / 10]),
    width: 2,
    color: '#1f2937',
    tool: 'pen',
  }))
}

/** Strokes whose JSON is about `bytes` long (each point is about 14 bytes). */
export function strokesOfSize(bytes: number): Json[] {
  const perStroke = 500
  return strokes(Math.max(1, Math.round(bytes / (perStroke * 14))), perStroke)
}

export interface LoopRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH'
  readonly path: string
  readonly body?: string
}

/** One worker of the loop: the next request, and what to remember from its 2xx answer. */
export interface LoopWorker {
  next(): LoopRequest
  answered?(body: Json): void
}

/**
 * `workers.length` requests in flight at all times for `durationSeconds` (one per worker), on
 * keep-alive connections (fetch's): requests/s, p50/p99 over every answer, statuses. With `statsUrl`, the
 * server's RSS is sampled every 50 ms while it runs (peak reported in `memory`).
 */
export async function measureLoop(
  baseUrl: string,
  headers: Record<string, string>,
  workers: readonly LoopWorker[],
  durationSeconds: number,
  statsUrl?: URL,
): Promise<Measurement> {
  const latencies: number[] = []
  const statusCodes: Record<string, number> = {}
  let non2xx = 0
  let errors = 0
  const deadline = performance.now() + durationSeconds * 1000
  let start: ProcessStats | undefined
  let peak: ProcessStats | undefined
  let sampling = statsUrl !== undefined
  const sampler = (async () => {
    if (!statsUrl) return
    start = await readServerStats(statsUrl, headers, true)
    peak = start
    while (sampling) {
      const stats = await readServerStats(statsUrl, headers, false)
      if (stats.rssBytes > peak.rssBytes) peak = stats
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  const startedAt = performance.now()
  try {
    await Promise.all(
      workers.map(async (worker) => {
        while (performance.now() < deadline) {
          const next = worker.next()
          const began = performance.now()
          try {
            const response = await fetch(new URL(next.path, baseUrl), {
              method: next.method,
              headers: next.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
              ...(next.body === undefined ? {} : { body: next.body }),
            })
            const text = await response.text()
            latencies.push(performance.now() - began)
            statusCodes[response.status] = (statusCodes[response.status] ?? 0) + 1
            if (!response.ok) non2xx++
            else worker.answered?.(JSON.parse(text) as Json)
          } catch {
            errors++
          }
        }
      }),
    )
  } finally {
    sampling = false
    await sampler
  }
  const seconds = (performance.now() - startedAt) / 1000
  const sorted = Float64Array.from(latencies).sort()
  return {
    connections: workers.length,
    requestsPerSecond: latencies.length / seconds,
    latencyP50Ms: percentile(sorted, 50),
    latencyP99Ms: percentile(sorted, 99),
    totalRequests: latencies.length,
    non2xx,
    errors,
    timeouts: 0,
    statusCodes,
    ...(start && peak ? { rss: { startBytes: start.rssBytes, peakBytes: peak.rssBytes } } : {}),
  }
}
