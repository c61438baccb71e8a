import type { Measurement } from '../lib/autocannon.js'
import { postJson } from '../lib/control.js'
import type { Scenario } from './scenario.js'

/**
 * The ceiling of the login scenario: `verify(hash, password)` of @node-rs/argon2 against a hash made
 * with OWASP_PARAMETERS, with the login scenario's concurrency, in a child process (servers/argon2.ts)
 * so it never shares the bench's event loop. Requests/s are verifications/s; p50/p99 are per verification.
 */
export const argon2Raw: Scenario = {
  key: 'argon2-raw',
  label: 'argon2 verify',
  title: 'raw argon2id verify (OWASP params, child process)',
  server: 'argon2',
  // Verifications, not HTTP requests: a ratio to raw hello-JSON would mean nothing.
  againstBaseline: false,
  connections: (settings) => settings.loginConcurrency,
  async check(target) {
    const answer = await postJson(new URL('/check', target.url), {})
    if (answer.ok !== true) throw new Error(`argon2 verify check failed: ${JSON.stringify(answer)}`)
  },
  async measure(target, load) {
    const answer = await postJson(new URL('/run', target.url), { connections: load.connections, durationSeconds: load.durationSeconds })
    if (typeof answer.requestsPerSecond !== 'number') throw new Error(`the argon2 server answered no measurement: ${JSON.stringify(answer)}`)
    return answer as unknown as Measurement
  },
}
