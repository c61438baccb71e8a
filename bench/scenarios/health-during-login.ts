import { healthOneConnection } from './health.js'
import { login } from './login.js'
import type { Scenario } from './scenario.js'

/**
 * Is the event loop free while logins hash? One connection hits GET /health while the login load
 * runs (its concurrency, same duration). Hashing on the main thread would show as /health latency
 * of whole argon2 runs (tens of ms); off it (libuv's pool), p99 stays near the idle one (`health-1c`).
 * The row is the probe; the login load alongside is reported under it and must be clean too.
 */
export const healthDuringLogin: Scenario = {
  key: 'health-during-login',
  label: '/health during login',
  title: 'Plinth GET /health, 1 connection, during login load',
  server: 'app',
  againstBaseline: false,
  latencyComparedTo: ['health-1c'],
  connections: (settings) => settings.loginConcurrency,
  async check(target) {
    await healthOneConnection.check(target)
    await login.check(target)
  },
  async measure(target, load) {
    const [probe, logins] = await Promise.all([
      healthOneConnection.measure(target, { ...load, connections: 1 }),
      login.measure(target, load),
    ])
    return { ...probe, alongside: { label: 'login load', measurement: logins } }
  },
}
