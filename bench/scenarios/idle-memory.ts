import { checkRealtime, measureIdleMemory } from '../lib/realtime.js'
import type { Scenario } from './scenario.js'

/**
 * Idle memory: BENCH_IDLE_SOCKETS (5,000) WebSocket clients connect (the app authenticates each with
 * the registered account's token) and then each subscribes to one shared room; the server reports its
 * RSS after a full GC and a settle delay before, once connected and once subscribed. RSS per socket =
 * (phase − before) / sockets. First on its server (a fresh process) and without warm-up: a warm-up
 * would leave freed memory behind that the measured sockets reuse.
 */
const IDLE_GOAL_KIB = 12

export const idleMemoryBare: Scenario = {
  key: 'idle-bare',
  label: 'bare ws idle sockets',
  title: 'bare ws idle sockets, RSS per socket',
  server: 'bare-ws',
  againstBaseline: false,
  warmup: false,
  connections: (settings) => settings.realtime.idleSockets,
  check: (target) => checkRealtime(target, 'bare-ws'),
  measure: (target, load) => measureIdleMemory(target, { sockets: load.connections, settings: load.settings.realtime }),
}

export const idleMemory: Scenario = {
  key: 'idle-memory',
  label: 'Plinth idle sockets',
  title: 'Plinth idle sockets, RSS per socket (embedded)',
  server: 'app',
  againstBaseline: false,
  warmup: false,
  limits: [
    {
      what: 'RSS less free heap per socket (connected + subscribed)',
      unit: 'KiB',
      comparison: '≤',
      limit: IDLE_GOAL_KIB,
      value: (m) => {
        const last = m.memory?.perUnit.at(-1)
        return last === undefined ? undefined : last.rssLessFreeHeapBytes / 1024
      },
    },
  ],
  connections: (settings) => settings.realtime.idleSockets,
  check: (target) => checkRealtime(target, 'embedded'),
  measure: (target, load) => measureIdleMemory(target, { sockets: load.connections, settings: load.settings.realtime }),
}
