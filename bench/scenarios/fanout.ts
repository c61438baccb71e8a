import { checkRealtime, measureFanout } from '../lib/realtime.js'
import type { ServerName } from '../servers/index.js'
import type { Comparison, Scenario } from './scenario.js'

/**
 * Realtime fan-out: BENCH_FANOUT_SOCKETS (1,000) WebSocket clients, in their own process(es), subscribe
 * to one fresh room; the server publishes `bench.tick` events to it from the server side (the app's
 * bench module through `ctx.realtime.publish`, or the bare ws server's broadcast); every socket must
 * receive every event once and in order. req/s = deliveries/s over all sockets; p50/p99 =
 * publish-to-receive latency of each delivery.
 *
 * - `max`: 100 events per second of BENCH_DURATION, published as fast as the server can (one per
 *   event-loop turn): the delivery rate, compared with the bare ws server's (goal ≥ 0.70×).
 * - `rate`: BENCH_FANOUT_RATE events/s for BENCH_DURATION: latency at a moderate load (goal p99 < 50 ms).
 */
interface Flavour {
  readonly server: ServerName
  readonly realtime: 'bare-ws' | 'embedded' | 'redis'
  /** Prefix of the label (ratios, goals). */
  readonly name: string
  /** Prefix and suffix of the title (table). */
  readonly title: readonly [string, string]
  readonly key: string
}

const BARE: Flavour = { server: 'bare-ws', realtime: 'bare-ws', name: 'bare ws', title: ['bare ws', ''], key: 'fanout-bare' }
const EMBEDDED: Flavour = { server: 'app', realtime: 'embedded', name: 'Plinth', title: ['Plinth', ' (embedded)'], key: 'fanout' }
const REDIS: Flavour = { server: 'app-redis', realtime: 'redis', name: 'Plinth (Redis)', title: ['Plinth', ' (Redis)'], key: 'fanout-redis' }

/** Delivery rate of the app against the bare ws server's, same sockets, events and run. */
const DELIVERY_RATE_GOAL = 0.7
/** Publish-to-receive p99 at the fixed rate, ms. */
const P99_GOAL_MS = 50

function fanoutScenario(flavour: Flavour, mode: 'max' | 'rate'): Scenario {
  const bare = flavour === BARE
  const compareTo: Comparison[] = !bare && mode === 'max' ? [{ key: `${BARE.key}-max`, goal: DELIVERY_RATE_GOAL }] : []
  return {
    key: `${flavour.key}-${mode}`,
    label: `${flavour.name} fan-out ${mode === 'max' ? 'max' : 'fixed rate'}`,
    title: `${flavour.title[0]} realtime fan-out, 1 room, ${mode === 'max' ? 'max rate' : 'fixed rate'}${flavour.title[1]}`,
    server: flavour.server,
    // Deliveries per second are not HTTP requests: no ratio to raw hello-JSON.
    againstBaseline: false,
    compareTo,
    ...(!bare && mode === 'rate'
      ? {
          latencyComparedTo: [`${BARE.key}-rate`],
          limits: [{ what: 'p99', unit: 'ms', comparison: '<', limit: P99_GOAL_MS, value: (m) => m.fanout?.latencyP99Ms }],
        }
      : {}),
    ...(flavour === REDIS ? { requires: 'redis' } : {}),
    connections: (settings) => settings.realtime.fanoutSockets,
    check: (target) => checkRealtime(target, flavour.realtime),
    measure: (target, load) => measureFanout(target, { mode, sockets: load.connections, durationSeconds: load.durationSeconds, settings: load.settings.realtime }),
  }
}

export const fanoutBareMax = fanoutScenario(BARE, 'max')
export const fanoutBareRate = fanoutScenario(BARE, 'rate')
export const fanoutMax = fanoutScenario(EMBEDDED, 'max')
export const fanoutRate = fanoutScenario(EMBEDDED, 'rate')
export const fanoutRedisMax = fanoutScenario(REDIS, 'max')
export const fanoutRedisRate = fanoutScenario(REDIS, 'rate')
