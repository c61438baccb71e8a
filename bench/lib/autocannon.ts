import autocannon from 'autocannon'
import type { MemoryDetails } from './memory.js'
import type { FanoutDetails } from './realtime.js'

/**
 * What one load run produced; every scenario reports this shape, whatever drives the load (for the
 * raw argon2id baseline a "request" is one `verify` call).
 */
export interface Measurement {
  /** Concurrent connections (or in-flight operations) of this run. */
  readonly connections: number
  readonly requestsPerSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly totalRequests: number
  readonly non2xx: number
  /** Connection errors, timeouts included. */
  readonly errors: number
  readonly timeouts: number
  /** Responses by status code, e.g. `{ "200": 81234 }`. */
  readonly statusCodes: Readonly<Record<string, number>>
  /** A load run at the same time, e.g. the login load under a /health probe; its failures invalidate the scenario too. */
  readonly alongside?: { readonly label: string; readonly measurement: Measurement }
  /** Realtime fan-out: what was published and delivered (requests are deliveries, latency is publish-to-receive). */
  readonly fanout?: FanoutDetails
  /** Memory scenarios: the server's memory at each phase and per unit (requests/s and latency are meaningless there). */
  readonly memory?: MemoryDetails
  /** The upload scenario: one file streamed through POST /api/files. */
  readonly upload?: { readonly bytes: number; readonly seconds: number; readonly mibPerSecond: number }
  /** The server's RSS when a closed-loop run started (after a full GC) and its highest reading during it (lib/colorbook.ts). */
  readonly rss?: { readonly startBytes: number; readonly peakBytes: number }
  /** The ship-batch scenario: batches of `size` cylinders, one at a time. */
  readonly batch?: { readonly size: number; readonly batches: number; readonly cylindersPerSecond: number; readonly meanMs: number }
}

export interface HttpRequest {
  readonly url: string
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /**
   * Called before every request: a path (from the server's root, with its query) and/or body that
   * replace the request's, e.g. to spread sends over chats or walk history cursors.
   */
  readonly vary?: () => { readonly path?: string; readonly body?: string }
}

/** One autocannon run of `durationSeconds` with `connections` keep-alive connections. */
export async function measureHttp(request: HttpRequest, load: { connections: number; durationSeconds: number }): Promise<Measurement> {
  const result = await autocannon({
    url: request.url,
    method: request.method ?? 'GET',
    headers: { ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(request.vary === undefined ? {} : { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, ...request.vary!() }) }] }),
    connections: load.connections,
    duration: load.durationSeconds,
  })
  const statusCodes: Record<string, number> = {}
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0
  return {
    connections: load.connections,
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    totalRequests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  }
}
