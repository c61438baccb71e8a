import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { Database } from '../db/client.js'

/** Each dependency's check gets this long, all at once, so /ready answers within about a second. */
const CHECK_TIMEOUT_MS = 1000

export const tags = ['platform']

/** [dependency, `ok` | `timeout` | `unreachable`] for the database and, when configured, Redis. */
export type CheckDependencies = () => Promise<(readonly [string, string])[]>

/** The readiness checks /ready answers with and the `plinth_ready` gauge reports at each scrape. */
export function dependencyChecks(deps: { database: Database; redis: Redis | undefined }, log: FastifyBaseLogger): CheckDependencies {
  return async () => {
    const checks: Record<string, () => Promise<unknown>> = { database: () => deps.database.ping() }
    if (deps.redis) checks.redis = () => deps.redis!.ping()
    return Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await probe(check, (err) => log.warn({ err, dependency: name }, 'readiness check failed'))] as const),
    )
  }
}

/** `ok`, `timeout` or `unreachable`; the cause goes to the log, not to the caller. */
async function probe(check: () => Promise<unknown>, logFailure: (error: unknown) => void): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS)
  })
  try {
    return await Promise.race([check().then(() => 'ok'), timeout])
  } catch (error) {
    logFailure(error)
    return 'unreachable'
  } finally {
    clearTimeout(timer)
  }
}
