import { DrizzleQueryError } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { DatabaseUnavailableError } from '../db/unavailable.js'

/** Errors as the drivers raise them when a dependency is down; each route throws one. */
const driverError = (fields: Record<string, unknown>, message = 'driver failure'): Error => Object.assign(new Error(message), fields)
const wrapped = (cause: Error): Error => new DrizzleQueryError('select * from cylinders where id = $1', ['secret-param'], cause)

const failures: Record<string, () => Error> = {
  'pool-wait': () => wrapped(new DatabaseUnavailableError('no database connection became free within 3000 ms')),
  'connection-exception': () => wrapped(driverError({ code: '08006', severity: 'FATAL' })),
  'admin-shutdown': () => wrapped(driverError({ code: '57P01', severity: 'FATAL' })),
  'starting-up': () => driverError({ code: '57P03', severity: 'FATAL' }),
  'statement-timeout': () => wrapped(driverError({ code: '57014', severity: 'ERROR' }, 'canceling statement due to statement timeout')),
  'redis-timeout': () => new Error('Command timed out'),
  'redis-closed': () => new Error('Connection is closed.'),
  'redis-offline': () => new Error("Stream isn't writeable and enableOfflineQueue options is false"),
  'unique-violation': () => wrapped(driverError({ code: '23505', severity: 'ERROR' })),
}

const app = useTestApp({
  setup: (instance) => {
    for (const [name, make] of Object.entries(failures)) {
      instance.get(`/fail/${name}`, async () => {
        throw make()
      })
    }
  },
})

describe('a dependency that is down answers 503, never 500', () => {
  it.each(['pool-wait', 'connection-exception', 'admin-shutdown', 'starting-up', 'statement-timeout'])('database: %s → 503 DATABASE_UNAVAILABLE with Retry-After', async (name) => {
    const response = await app().inject({ url: `/fail/${name}` })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({ error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable; retry later.', details: {} } })
    expect(response.body).not.toContain('secret-param')
  })

  it.each(['redis-timeout', 'redis-closed', 'redis-offline'])('Redis: %s → 503 SERVICE_UNAVAILABLE with Retry-After', async (name) => {
    const response = await app().inject({ url: `/fail/${name}` })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: 'A dependency is unavailable.', details: {} } })
  })

  it('an error that is not about availability stays 500 INTERNAL', async () => {
    const response = await app().inject({ url: '/fail/unique-violation' })
    expect(response.statusCode).toBe(500)
    expect(response.json().error.code).toBe('INTERNAL')
  })
})
