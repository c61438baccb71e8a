import type { ProcessStats } from '../servers/realtime-control.js'
import type { Measurement } from './autocannon.js'
import { postJson } from './control.js'

/**
 * Memory scenarios: read a server's memory (its `…/stats` control route: `POST /api/bench/stats` on the
 * app, `/stats` on the bare ws server) at successive phases of a load, and report the RSS cost per unit
 * of that load. The idle-socket scenarios use it (lib/realtime.ts); an upload-memory scenario would too,
 * with unit "upload" and phases such as "before" and "during N uploads".
 */

/** Between a full GC and reading the RSS: V8 sweeps and releases pages on background threads. */
export const MEMORY_SETTLE_MS = 1000

/** One memory reading of the server process (after a full GC). */
export interface MemoryPhase {
  readonly label: string
  readonly rssBytes: number
  /** RSS minus the V8 heap pages that are resident but empty (see `ProcessStats.heapFreeResidentBytes`). */
  readonly rssLessFreeHeapBytes: number
  readonly heapUsedBytes: number
  readonly externalBytes: number
}

/** One phase's cost per unit over the first phase, in bytes. */
export interface PerUnit {
  readonly label: string
  /** The plain RSS delta: includes V8 growing its young generation, once, if it happens during the phase. */
  readonly rssBytes: number
  /** The RSS delta less empty V8 heap pages: what the units' live objects and native memory take. */
  readonly rssLessFreeHeapBytes: number
  /** Live JavaScript objects only. */
  readonly heapUsedBytes: number
}

/** The server's memory at each phase, and the cost per unit of each phase over the first. */
export interface MemoryDetails {
  readonly unit: string
  readonly units: number
  readonly phases: readonly MemoryPhase[]
  /** (phase − first phase) / units, for every phase after the first. */
  readonly perUnit: readonly PerUnit[]
  readonly gcExposed: boolean
  readonly settleMs: number
}

/**
 * The server's stats; with `gc`, after two full collections and MEMORY_SETTLE_MS (it must run with
 * --expose-gc); with `warm`, once V8's young generation has grown to its full size (the first reading
 * of a memory scenario: see `growYoungGeneration` in servers/realtime-control.ts).
 */
export async function readServerStats(statsUrl: URL, headers: Readonly<Record<string, string>>, gc: boolean, warm = false): Promise<ProcessStats> {
  const stats = (await postJson(statsUrl, { warm, gc, settleMs: gc ? MEMORY_SETTLE_MS : 0 }, headers)) as unknown as ProcessStats
  if (gc && !stats.gcExposed) throw new Error('the server has no global.gc(): start it with --expose-gc (nodeArgs in servers/index.ts)')
  return stats
}

/** A memory scenario's Measurement: `units` as its connections and requests, no rate or latency. */
export function memoryMeasurement(unit: string, units: number, phases: readonly (readonly [string, ProcessStats])[]): Measurement {
  const [first] = phases
  if (!first) throw new Error('a memory measurement needs at least one phase')
  const [, base] = first
  const memory: MemoryDetails = {
    unit,
    units,
    phases: phases.map(([label, stats]) => ({
      label,
      rssBytes: stats.rssBytes,
      rssLessFreeHeapBytes: stats.rssBytes - stats.heapFreeResidentBytes,
      heapUsedBytes: stats.heapUsedBytes,
      externalBytes: stats.externalBytes,
    })),
    perUnit: phases.slice(1).map(([label, stats]) => ({
      label,
      rssBytes: (stats.rssBytes - base.rssBytes) / units,
      rssLessFreeHeapBytes: (stats.rssBytes - stats.heapFreeResidentBytes - (base.rssBytes - base.heapFreeResidentBytes)) / units,
      heapUsedBytes: (stats.heapUsedBytes - base.heapUsedBytes) / units,
    })),
    gcExposed: base.gcExposed,
    settleMs: MEMORY_SETTLE_MS,
  }
  return { connections: units, requestsPerSecond: 0, latencyP50Ms: 0, latencyP99Ms: 0, totalRequests: units, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {}, memory }
}
