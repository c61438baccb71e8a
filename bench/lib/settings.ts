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
  readonly realtime: RealtimeSettings
}

/** The realtime scenarios (scenarios/fanout.ts, scenarios/idle-memory.ts). */
export interface RealtimeSettings {
  /** Sockets subscribed to the one room of the fan-out scenarios. */
  readonly fanoutSockets: number
  /** Events per second the fixed-rate (latency) fan-out scenarios publish. */
  readonly fanoutRate: number
  /** Length of each event's `pad` string. */
  readonly payloadBytes: number
  /** Sockets of the idle-memory scenarios. */
  readonly idleSockets: number
  /** Child processes the WebSocket clients are spread over. */
  readonly clientProcesses: number
}

const DEFAULTS: LoadSettings = {
  connections: 50,
  loginConcurrency: 8,
  durationSeconds: 10,
  warmupSeconds: 2,
  only: [],
  realtime: { fanoutSockets: 1000, fanoutRate: 20, payloadBytes: 128, idleSockets: 5000, clientProcesses: 1 },
}

export function readSettings(env: NodeJS.ProcessEnv): LoadSettings {
  return {
    connections: positiveInteger(env, 'BENCH_CONNECTIONS', DEFAULTS.connections),
    loginConcurrency: positiveInteger(env, 'BENCH_LOGIN_CONCURRENCY', DEFAULTS.loginConcurrency),
    durationSeconds: positiveInteger(env, 'BENCH_DURATION', DEFAULTS.durationSeconds),
    warmupSeconds: positiveInteger(env, 'BENCH_WARMUP', DEFAULTS.warmupSeconds),
    only: (env.BENCH_ONLY ?? '').split(',').map((key) => key.trim()).filter(Boolean),
    realtime: {
      fanoutSockets: positiveInteger(env, 'BENCH_FANOUT_SOCKETS', DEFAULTS.realtime.fanoutSockets),
      fanoutRate: positiveInteger(env, 'BENCH_FANOUT_RATE', DEFAULTS.realtime.fanoutRate),
      payloadBytes: nonNegativeInteger(env, 'BENCH_FANOUT_PAYLOAD_BYTES', DEFAULTS.realtime.payloadBytes),
      idleSockets: positiveInteger(env, 'BENCH_IDLE_SOCKETS', DEFAULTS.realtime.idleSockets),
      clientProcesses: positiveInteger(env, 'BENCH_WS_CLIENT_PROCESSES', DEFAULTS.realtime.clientProcesses),
    },
  }
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected a positive integer`)
  return value
}

function nonNegativeInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected an integer ≥ 0`)
  return value
}
