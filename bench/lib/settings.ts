/** How hard and how long scenarios are loaded; the same for all scenarios of one run. */
export interface LoadSettings {
  /** Connections of the throughput scenarios (raw, /health, /me, DB reads). */
  readonly connections: number
  /**
   * Concurrency of the argon2-bound scenarios: login, the raw argon2id baseline and the login load
   * under the /health probe. Far below `connections`: each login holds ~19 MiB and a thread-pool
   * thread for tens of milliseconds, so 50 would only measure a queue.
   */
  readonly loginConcurrency: number
  readonly durationSeconds: number
  /** A run of this length precedes each measurement and is discarded (JIT, pools, caches). */
  readonly warmupSeconds: number
  /** Keys of the scenarios to run (BENCH_ONLY=raw-hello,me,bare-pk); all when empty. */
  readonly only: readonly string[]
}

const DEFAULTS: LoadSettings = { connections: 50, loginConcurrency: 8, durationSeconds: 10, warmupSeconds: 2, only: [] }

export function readSettings(env: NodeJS.ProcessEnv): LoadSettings {
  return {
    connections: positiveInteger(env, 'BENCH_CONNECTIONS', DEFAULTS.connections),
    loginConcurrency: positiveInteger(env, 'BENCH_LOGIN_CONCURRENCY', DEFAULTS.loginConcurrency),
    durationSeconds: positiveInteger(env, 'BENCH_DURATION', DEFAULTS.durationSeconds),
    warmupSeconds: positiveInteger(env, 'BENCH_WARMUP', DEFAULTS.warmupSeconds),
    only: (env.BENCH_ONLY ?? '').split(',').map((key) => key.trim()).filter(Boolean),
  }
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected a positive integer`)
  return value
}
