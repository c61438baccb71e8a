import { describe, expect, it } from 'vitest'
import type { AppError } from '../errors/app-error.js'
import { LoginThrottle } from './login-throttle.js'

const settings = { maxFailuresPerAccount: 3, maxFailuresPerIp: 5, lockoutSeconds: 60 }

/** 'ok' when the attempt may go on, else the refusal's code and Retry-After. */
const attempt = (throttle: LoginThrottle, account: string, ip: string) =>
  throttle.attempt(account, ip).then(
    () => 'ok',
    (error: AppError) => `${error.code} ${error.headers['retry-after']}`,
  )

describe('LoginThrottle (in memory)', () => {
  it('allows the limit of failed attempts per account, then refuses with Retry-After', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('TOO_MANY_ATTEMPTS 60')
    expect(await attempt(throttle, 'ada', '10.0.0.2')).toBe('TOO_MANY_ATTEMPTS 60')
    expect(await attempt(throttle, 'bob', '10.0.0.1')).toBe('ok')
  })

  it('refuses parallel attempts beyond the limit', async () => {
    const throttle = new LoginThrottle(settings)
    const results = await Promise.all(Array.from({ length: 10 }, () => attempt(throttle, 'ada', '10.0.0.1')))
    expect(results.filter((result) => result === 'ok')).toHaveLength(3)
  })

  it('starts an account over after a success', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 2; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    await throttle.succeeded('ada', '10.0.0.1')

    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('TOO_MANY_ATTEMPTS 60')
  })

  it('does not count successful attempts against the IP', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 10; i++) {
      expect(await attempt(throttle, `member-${i}`, '10.0.0.1')).toBe('ok')
      await throttle.succeeded(`member-${i}`, '10.0.0.1')
    }
    for (let i = 0; i < 5; i++) expect(await attempt(throttle, `guess-${i}`, '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'guess-5', '10.0.0.1')).toBe('TOO_MANY_ATTEMPTS 60')
  })

  it('locks an IP out across accounts without locking those accounts', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 5; i++) expect(await attempt(throttle, `spray-${i}`, '10.0.0.9')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.9')).toBe('TOO_MANY_ATTEMPTS 60')
    // The refused attempt was not counted against ada.
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
  })
})
