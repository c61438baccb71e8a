import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import type { BenchDatabase } from './database.js'
import type { Outcome, Ratio } from './outcome.js'
import type { LoadSettings } from './settings.js'

const resultsDir = join(import.meta.dirname, '..', 'results')

export interface RunInfo {
  readonly startedAt: Date
  readonly database: BenchDatabase
  readonly settings: LoadSettings
}

/** Writes `bench/results/<timestamp>-<db>.json` (gitignored) and returns its path. */
export function writeResults(run: RunInfo, outcomes: readonly Outcome[], ratioList: readonly Ratio[]): string {
  mkdirSync(resultsDir, { recursive: true })
  const stamp = run.startedAt.toISOString().replace(/[:.]/g, '-')
  const path = join(resultsDir, `${stamp}-${run.database.kind}.json`)
  const document = {
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    database: run.database,
    machine: machine(),
    settings: run.settings,
    ok: outcomes.every((outcome) => outcome.problems.length === 0),
    scenarios: outcomes.map(({ scenario, measurement, problems }) => ({
      key: scenario.key,
      title: scenario.title,
      server: scenario.server,
      measurement: measurement ?? null,
      problems,
    })),
    ratios: ratioList,
  }
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`)
  return path
}

export function machine(): { node: string; platform: string; cpus: number; cpuModel: string } {
  const list = cpus()
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: list.length, cpuModel: list[0]?.model.trim() ?? 'unknown' }
}
