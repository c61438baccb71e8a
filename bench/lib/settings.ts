/** How hard and how long every scenario is loaded; the same for all scenarios of one run. */
export interface LoadSettings {
  readonly connections: number
  readonly durationSeconds: number
  /** A run of this length precedes each measurement and is discarded (JIT, pools, caches). */
  readonly warmupSeconds: number
}

const DEFAULTS: LoadSettings = { connections: 50, durationSeconds: 10, warmupSeconds: 2 }

export function readSettings(env: NodeJS.ProcessEnv): LoadSettings {
  return {
    connections: positiveInteger(env, 'BENCH_CONNECTIONS', DEFAULTS.connections),
    durationSeconds: positiveInteger(env, 'BENCH_DURATION', DEFAULTS.durationSeconds),
    warmupSeconds: positiveInteger(env, 'BENCH_WARMUP', DEFAULTS.warmupSeconds),
  }
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected a positive integer`)
  return value
}
