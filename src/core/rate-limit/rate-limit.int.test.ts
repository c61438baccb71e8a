import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { headerActor } from '../../../test/fixtures/notes/index.js'
import { actor, type TestActor } from '../../../test/helpers/actors.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { expectError, uniqueIp, useExtraApp } from '../../../test/helpers/identity.js'

/**
 * Every test counts under accounts (`actor()`) and IPs (`uniqueIp()`) of its own, so counters kept
 * in a shared Redis never meet another test's, another file's or another run's.
 */
const LIMIT = 3
const probe = (app: FastifyInstance): void => {
  app.get('/api/probe', async () => ({ ok: true }))
}
const app = useTestApp({ authenticate: headerActor, setup: probe })
const limited = useExtraApp({ authenticate: headerActor, env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) }, setup: probe })

const get = (target: FastifyInstance, ip: string, as?: TestActor, url = '/api/probe'): Promise<LightMyRequestResponse> =>
  target.inject({ url, remoteAddress: ip, ...(as ? { headers: as.headers } : {}) })

async function useUp(ip: string, as?: TestActor): Promise<void> {
  for (let i = 0; i < LIMIT; i++) expect((await get(limited(), ip, as)).statusCode).toBe(200)
}

describe('general rate limit (RATE_LIMIT_PER_MINUTE)', () => {
  it('counts each request of an account and says so in the x-ratelimit headers', async () => {
    const user = actor()
    const ip = uniqueIp()
    const remaining: unknown[] = []
    for (let i = 0; i < LIMIT; i++) {
      const response = await get(limited(), ip, user)
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-ratelimit-limit']).toBe(String(LIMIT))
      const reset = Number(response.headers['x-ratelimit-reset'])
      expect(reset).toBeGreaterThanOrEqual(1)
      expect(reset).toBeLessThanOrEqual(60)
      remaining.push(response.headers['x-ratelimit-remaining'])
    }
    expect(remaining).toEqual(['2', '1', '0'])
  })

  it('answers 429 RATE_LIMITED with Retry-After past the limit', async () => {
    const user = actor()
    const ip = uniqueIp()
    await useUp(ip, user)

    const response = await get(limited(), ip, user)
    const error = expectError(response, 429, 'RATE_LIMITED')
    const retryAfter = Number(response.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(error.details).toEqual({ limitPerMinute: LIMIT, retryAfterSeconds: retryAfter })
    expect(error.message).toBe(`Too many requests; retry in ${retryAfter} s.`)
    expect(response.headers).toMatchObject({ 'x-ratelimit-limit': String(LIMIT), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(retryAfter) })
  })

  it('counts two accounts behind one IP apart', async () => {
    const ip = uniqueIp()
    const first = actor()
    await useUp(ip, first)
    expectError(await get(limited(), ip, first), 429, 'RATE_LIMITED')

    const second = await get(limited(), ip, actor())
    expect(second.statusCode).toBe(200)
    expect(second.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1))
  })

  it('follows an account from one IP to another', async () => {
    const user = actor()
    await useUp(uniqueIp(), user)
    expectError(await get(limited(), uniqueIp(), user), 429, 'RATE_LIMITED')
  })

  it('counts signed-out requests per IP, apart from the accounts on it', async () => {
    const ip = uniqueIp()
    await useUp(ip)
    expectError(await get(limited(), ip), 429, 'RATE_LIMITED')
    // Unknown routes count too: probing for endpoints is no way around the limit.
    expectError(await get(limited(), ip, undefined, '/api/no-such-route'), 429, 'RATE_LIMITED')

    expect((await get(limited(), uniqueIp())).statusCode).toBe(200)
    expect((await get(limited(), ip, actor())).statusCode).toBe(200)
  })

  it('never limits /health, /ready and /metrics, nor counts them', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < LIMIT + 2; i++) {
      for (const url of ['/health', '/ready', '/metrics', '/health?probe=1']) {
        const response = await get(limited(), ip, undefined, url)
        expect(response.statusCode, url).toBe(200)
        expect(response.headers['x-ratelimit-limit'], url).toBeUndefined()
      }
    }
    const first = await get(limited(), ip)
    expect(first.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1))
    await get(limited(), ip)
    await get(limited(), ip)
    expectError(await get(limited(), ip), 429, 'RATE_LIMITED')
    expect((await get(limited(), ip, undefined, '/ready')).statusCode).toBe(200)
  })

  // Redis pass only: without REDIS_URL the counters live in process memory.
  it.skipIf(!process.env.REDIS_URL)('keeps its counters in Redis as plinth:rate:user:<id> and plinth:rate:ip:<ip>', async () => {
    const user = actor()
    const ip = uniqueIp()
    expect((await get(limited(), ip, user)).statusCode).toBe(200)
    expect((await get(limited(), ip)).statusCode).toBe(200)

    const redis = limited().platform.redis!
    expect(await redis.get(`plinth:rate:user:${user.id}`)).toBe('1')
    expect(await redis.get(`plinth:rate:ip:${ip}`)).toBe('1')
    expect(await redis.keys(`plinth:rate:*${user.id}`)).toEqual([`plinth:rate:user:${user.id}`])
  })

  it('0 turns it off: no counting, no headers', async () => {
    const ip = uniqueIp()
    const user = actor()
    for (let i = 0; i < LIMIT * 3; i++) {
      for (const as of [user, undefined]) {
        const response = await get(app(), ip, as)
        expect(response.statusCode).toBe(200)
        expect(response.headers['x-ratelimit-limit']).toBeUndefined()
        expect(response.headers['x-ratelimit-remaining']).toBeUndefined()
      }
    }
  })
})

describe('general rate limit with Redis unreachable', () => {
  // Port 9 (discard) has nothing listening here: every Redis command fails at once.
  const offline = useExtraApp({ authenticate: headerActor, env: { RATE_LIMIT_PER_MINUTE: '1', REDIS_URL: 'redis://127.0.0.1:9/0' }, setup: probe })

  it('lets requests through uncounted instead of failing them', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < 3; i++) {
      const response = await get(offline(), ip, actor())
      expect(response.statusCode, response.body).toBe(200)
      expect(response.headers['x-ratelimit-limit']).toBeUndefined()
    }
  })
})
