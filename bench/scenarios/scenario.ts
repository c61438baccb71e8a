import { measureHttp, type HttpRequest, type Measurement } from '../lib/autocannon.js'
import type { ReadyLine } from '../lib/child.js'
import type { LoadSettings } from '../lib/settings.js'
import type { ServerName } from '../servers/index.js'

/** The server a scenario runs against: its base URL and whatever its ready line announced. */
export interface Target {
  readonly url: string
  readonly ready: ReadyLine
}

export interface LoadRun {
  readonly connections: number
  readonly durationSeconds: number
  /** The run's settings, for scenarios with knobs of their own (the realtime ones). */
  readonly settings: LoadSettings
}

/** Another scenario this one is divided by (req/s), optionally with the goal the ratio must reach. */
export type Comparison = string | { readonly key: string; readonly goal?: number }

/** An absolute goal on one of the scenario's own numbers, e.g. fan-out p99 < 50 ms. */
export interface Limit {
  /** What is limited, e.g. "p99" or "RSS per socket (connected + subscribed)". */
  readonly what: string
  readonly unit: 'ms' | 'KiB' | 'MiB'
  /** `<` (strictly below) or `≤`. */
  readonly comparison: '<' | '≤'
  readonly limit: number
  /** The value in `unit`, or undefined when the measurement does not carry it. */
  readonly value: (measurement: Measurement) => number | undefined
}

/**
 * One measured workload. The harness starts `server`, calls `check` once, then `measure` twice
 * (a discarded warm-up, then the measurement). Add a scenario as one file and list it in `index.ts`.
 */
export interface Scenario {
  /** Stable id, used as the key in the results file. */
  readonly key: string
  /** Short name used in ratios, e.g. "/health". */
  readonly label: string
  /** What the table row says, e.g. "Plinth GET /health". */
  readonly title: string
  readonly server: ServerName
  /** The scenario every other one is divided by (exactly one). */
  readonly baseline?: boolean
  /** `false`: no ratio to the baseline (a different concurrency or unit would make it meaningless). Default true. */
  readonly againstBaseline?: boolean
  /** Other scenarios this one's req/s is divided by; a `goal` is reported as met or not. */
  readonly compareTo?: readonly Comparison[]
  /** Other scenarios whose p50/p99 are printed next to this one's. */
  readonly latencyComparedTo?: readonly string[]
  /** Concurrency of this scenario's load; default `settings.connections`. */
  readonly connections?: (settings: LoadSettings) => number
  /** Absolute goals on this scenario's own numbers, reported as met or not. */
  readonly limits?: readonly Limit[]
  /** Runs only when the bench has REDIS_URL; without it, it is reported as skipped (not failed). */
  readonly requires?: 'redis'
  /** Why it cannot run on this checkout (e.g. packages not installed), or undefined: reported as skipped, not failed. */
  readonly unavailable?: () => string | undefined
  /** `false`: no warm-up run (one that would change what is measured, e.g. memory). Default true. */
  readonly warmup?: boolean
  /** Throws, explaining why, unless one request gets the expected answer: load on a broken route measures nothing. */
  check(target: Target): Promise<void>
  measure(target: Target, load: LoadRun): Promise<Measurement>
}

export interface HttpScenarioSpec extends Omit<Scenario, 'check' | 'measure'> {
  /** The request to repeat; `url` is relative to the target. */
  readonly request: (target: Target) => HttpRequest
  /** A problem with a 2xx answer's JSON body, or undefined when it is the expected one. */
  readonly verify: (body: unknown, target: Target) => string | undefined
}

/** A scenario that repeats one HTTP request with autocannon. */
export function httpScenario(spec: HttpScenarioSpec): Scenario {
  const { request, verify, ...rest } = spec
  const absolute = (target: Target): HttpRequest => {
    const relative = request(target)
    return { ...relative, url: new URL(relative.url, target.url).toString() }
  }
  return {
    ...rest,
    async check(target) {
      const { url, method, headers, body } = absolute(target)
      const response = await fetch(url, { method: method ?? 'GET', headers: { ...headers }, ...(body === undefined ? {} : { body }) })
      const text = await response.text()
      if (!response.ok) throw new Error(`${method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 500)}`)
      const problem = verify(parseJson(text), target)
      if (problem) throw new Error(`${method ?? 'GET'} ${url} answered ${response.status} with an unexpected body (${problem}): ${text.slice(0, 500)}`)
    },
    measure: (target, load) => measureHttp(absolute(target), load),
  }
}

/** A string field of the server's ready line (e.g. the id of the row it seeded). */
export function readyString(target: Target, field: string): string {
  const value = target.ready[field]
  if (typeof value !== 'string') throw new Error(`the ready line has no string "${field}": ${JSON.stringify(target.ready)}`)
  return value
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export function field(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined
}
