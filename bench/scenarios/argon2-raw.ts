import { request } from 'node:http'
import type { Measurement } from '../lib/autocannon.js'
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

/** node:http rather than fetch: a run lasts as long as BENCH_DURATION, past fetch's default timeouts. */
function postJson(url: URL, body: unknown): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (response) => {
      let received = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (received += chunk))
      response.on('error', reject)
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`POST ${url.pathname} answered ${response.statusCode}: ${received.slice(0, 500)}`))
        try {
          resolve(JSON.parse(received) as Record<string, unknown>)
        } catch {
          reject(new Error(`POST ${url.pathname} answered invalid JSON: ${received.slice(0, 500)}`))
        }
      })
    })
    outgoing.on('error', reject)
    outgoing.end(text)
  })
}
