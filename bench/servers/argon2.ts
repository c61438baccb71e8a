import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { verify } from '@node-rs/argon2'
import { OWASP_PARAMETERS, PasswordHasher } from '../../src/core/auth/passwords.js'
import type { Measurement } from '../lib/autocannon.js'
import { answer, closeHttpServer, exitOnShutdown, failStartup, printReady, readJson } from './lifecycle.js'

/**
 * The baseline of the login scenario: raw argon2id verifications with the parameters Plinth uses
 * in production (OWASP_PARAMETERS), in a process of their own with the same libuv thread pool as the
 * app server. It hashes one password at start, then, on `POST /run {"connections","durationSeconds"}`,
 * keeps `connections` `verify(hash, password)` calls of @node-rs/argon2 in flight for that long and
 * answers a Measurement (requests = verifications). HTTP is only the bench's control channel: no
 * request is served while the verifications run.
 */
const password = `bench-${randomBytes(18).toString('base64url')}`
const hasher = new PasswordHasher(OWASP_PARAMETERS)
let stored = ''
let running = false

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => answer(response, 500, { error: error instanceof Error ? error.message : String(error) }))
})

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') return answer(response, 405, { error: 'POST /check or POST /run' })
  const body = await readJson(request)
  if (request.url === '/check') {
    const right = await verify(stored, password)
    const wrong = await verify(stored, `${password}x`)
    return answer(response, 200, { ok: right && !wrong, right, wrong, hashPrefix: stored.slice(0, stored.lastIndexOf('$', stored.lastIndexOf('$') - 1)) })
  }
  if (request.url !== '/run') return answer(response, 404, { error: 'POST /check or POST /run' })
  const connections = Number(body.connections)
  const durationSeconds = Number(body.durationSeconds)
  if (!Number.isInteger(connections) || connections < 1 || !(durationSeconds > 0)) return answer(response, 400, { error: 'expected {"connections":n,"durationSeconds":s}' })
  if (running) return answer(response, 409, { error: 'a run is already in progress' })
  running = true
  try {
    answer(response, 200, await run(connections, durationSeconds))
  } finally {
    running = false
  }
}

/**
 * `connections` loops, each starting its next verification as the previous one ends, until the
 * deadline. Like autocannon, only operations completed within the duration count; the ones still in
 * flight at the deadline are awaited (so the next run starts on an idle pool) but not counted.
 */
async function run(connections: number, durationSeconds: number): Promise<Measurement> {
  const latencies: number[] = []
  let failures = 0
  const started = performance.now()
  const deadline = started + durationSeconds * 1000
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const before = performance.now()
      let ok: boolean
      try {
        ok = await verify(stored, password)
      } catch {
        ok = false
      }
      const after = performance.now()
      if (after > deadline) break
      if (ok) latencies.push(after - before)
      else failures++
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  latencies.sort((a, b) => a - b)
  return {
    connections,
    requestsPerSecond: latencies.length / durationSeconds,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    totalRequests: latencies.length + failures,
    non2xx: 0,
    // A verification that threw or said "no" for the right password: the run measures nothing.
    errors: failures,
    timeouts: 0,
    statusCodes: {},
  }
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

exitOnShutdown(() => closeHttpServer(server))

async function start(): Promise<void> {
  stored = await hasher.hash(password)
  // The same check the app makes before rehashing at login: the hash must carry OWASP_PARAMETERS.
  if (hasher.needsRehash(stored)) throw new Error(`the hash does not carry OWASP_PARAMETERS: ${stored.slice(0, 40)}…`)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  printReady({ port: (server.address() as AddressInfo).port, parameters: OWASP_PARAMETERS, threadPoolSize: process.env.UV_THREADPOOL_SIZE ?? 'default (4)' })
}

start().catch((error: unknown) => failStartup(error))
