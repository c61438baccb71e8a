import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import type { BenchDatabase } from './database.js'
import type { Goal, LatencyComparison, LimitGoal, Outcome, Ratio } from './outcome.js'
import type { LoadSettings } from './settings.js'

const resultsDir = join(import.meta.dirname, '..', 'results')

export interface RunInfo {
  readonly startedAt: Date
  readonly database: BenchDatabase
  /** REDIS_URL of the realtime Redis scenarios (password redacted), or undefined when they were skipped. */
  readonly redis: string | undefined
  readonly settings: LoadSettings
  /** UV_THREADPOOL_SIZE given to the servers, or undefined for Node's default (4). */
  readonly threadPoolSize: string | undefined
}

export interface Comparisons {
  readonly ratios: readonly Ratio[]
  readonly goals: readonly Goal[]
  readonly limits: readonly LimitGoal[]
  readonly latencies: readonly LatencyComparison[]
}

/** Writes `bench/results/<timestamp>-<db>.json` (gitignored) and returns its path. */
export function writeResults(run: RunInfo, outcomes: readonly Outcome[], comparisons: Comparisons): string {
  mkdirSync(resultsDir, { recursive: true })
  const stamp = run.startedAt.toISOString().replace(/[:.]/g, '-')
  const path = join(resultsDir, `${stamp}-${run.database.kind}.json`)
  const document = {
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    // Not the URL: it holds the password.
    database: { kind: run.database.kind, description: run.database.description },
    redis: run.redis ?? null,
    machine: machine(),
    settings: { ...run.settings, uvThreadpoolSize: run.threadPoolSize ?? 'default (4)' },
    ok: outcomes.every((outcome) => outcome.problems.length === 0),
    scenarios: outcomes.map(({ scenario, measurement, problems, skipped }) => ({
      key: scenario.key,
      title: scenario.title,
      server: scenario.server,
      measurement: measurement ?? null,
      problems,
      ...(skipped === undefined ? {} : { skipped }),
    })),
    ratios: comparisons.ratios,
    goals: comparisons.goals,
    limits: comparisons.limits,
    latencies: comparisons.latencies,
  }
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`)
  return path
}

export function machine(): { node: string; platform: string; cpus: number; cpuModel: string } {
  const list = cpus()
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: list.length, cpuModel: list[0]?.model.trim() ?? 'unknown' }
}
