import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AppError } from '../errors/app-error.js'
import { LoginThrottle, type ThrottleSettings } from './login-throttle.js'

const settings: ThrottleSettings = { maxFailures: 3, maxFailuresPerIp: 5, maxFailuresPerAccount: 50, lockoutSeconds: 60 }

/** 'ok' when the attempt may go on, else the refusal's code and Retry-After. */
const attempt = (throttle: LoginThrottle, account: string, ip: string, epoch?: string) =>
  throttle.attempt({ key: account, ...(epoch ? { epoch } : {}) }, ip).then(
    () => 'ok',
    (error: AppError) => `${error.code} ${error.headers['retry-after']}`,
  )

afterEach(() => {
  vi.useRealTimers()
})

describe('LoginThrottle (in memory): per account and IP', () => {
  it('allows the limit of failed attempts on an account from one IP, then refuses that IP only', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('TOO_MANY_ATTEMPTS 60')
    // The owner, elsewhere, is not locked out; nor is another account from that IP.
    expect(await attempt(throttle, 'ada', '10.0.0.2')).toBe('ok')
    expect(await attempt(throttle, 'bob', '10.0.0.1')).toBe('ok')
  })

  it('a dozen failures from one IP leave the account open from another', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 12; i++) await attempt(throttle, 'ada', '10.0.0.1')
    expect(await attempt(throttle, 'ada', '10.0.0.2')).toBe('ok')
  })

  it('refuses parallel attempts beyond the limit', async () => {
    const throttle = new LoginThrottle(settings)
    const results = await Promise.all(Array.from({ length: 10 }, () => attempt(throttle, 'ada', '10.0.0.1')))
    expect(results.filter((result) => result === 'ok')).toHaveLength(3)
  })

  it('starts an account over after a success', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    await throttle.succeeded({ key: 'ada' }, '10.0.0.1')

    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('TOO_MANY_ATTEMPTS 60')
  })

  it('starts the per-IP count over in a new epoch (a new password)', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1', 'old')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.1', 'old')).toBe('TOO_MANY_ATTEMPTS 60')
    expect(await attempt(throttle, 'ada', '10.0.0.1', 'new')).toBe('ok')
  })
})

describe('LoginThrottle (in memory): per IP', () => {
  it('does not count successful attempts against the IP', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 10; i++) {
      expect(await attempt(throttle, `member-${i}`, '10.0.0.1')).toBe('ok')
      await throttle.succeeded({ key: `member-${i}` }, '10.0.0.1')
    }
    for (let i = 0; i < 5; i++) expect(await attempt(throttle, `guess-${i}`, '10.0.0.1')).toBe('ok')
    expect(await attempt(throttle, 'guess-5', '10.0.0.1')).toBe('TOO_MANY_ATTEMPTS 60')
  })

  it('locks an IP out across accounts without counting the refused attempts against those accounts', async () => {
    const throttle = new LoginThrottle(settings)
    for (let i = 0; i < 5; i++) expect(await attempt(throttle, `spray-${i}`, '10.0.0.9')).toBe('ok')
    expect(await attempt(throttle, 'ada', '10.0.0.9')).toBe('TOO_MANY_ATTEMPTS 60')
    // The refused attempt was not counted against ada.
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', '10.0.0.1')).toBe('ok')
  })
})

describe('LoginThrottle (in memory): per account across IPs', () => {
  // Past 3 failures, delays of 1, 2, 4 s, then the cap of 64 / 8 = 8 s; the 8th failure locks the account.
  const distributed: ThrottleSettings = { maxFailures: 3, maxFailuresPerIp: 100, maxFailuresPerAccount: 8, lockoutSeconds: 64 }
  let ipCount = 0
  const freshIp = () => `10.1.0.${++ipCount}`

  it('makes each attempt past LOGIN_MAX_FAILURES wait a doubling delay, then locks the account', async () => {
    vi.useFakeTimers()
    const throttle = new LoginThrottle(distributed)
    for (let i = 0; i < 3; i++) expect(await attempt(throttle, 'ada', freshIp())).toBe('ok')

    const waits: string[] = []
    for (const delay of [1, 2, 4, 8]) {
      expect(await attempt(throttle, 'ada', freshIp())).toBe('ok')
      // At once again, from anywhere: refused, and told how long to wait; not counted.
      const refused = await attempt(throttle, 'ada', freshIp())
      waits.push(refused)
      vi.advanceTimersByTime(delay * 1000)
    }
    expect(waits).toEqual(['TOO_MANY_ATTEMPTS 1', 'TOO_MANY_ATTEMPTS 2', 'TOO_MANY_ATTEMPTS 4', 'TOO_MANY_ATTEMPTS 8'])
    expect(await attempt(throttle, 'ada', freshIp())).toBe('ok')
    // 8 failures counted: the account itself is locked, from every IP, longer than any delay.
    const locked = await attempt(throttle, 'ada', freshIp())
    expect(locked).toMatch(/^TOO_MANY_ATTEMPTS \d+$/)
    expect(Number(locked.split(' ')[1])).toBeGreaterThan(8)
    expect(await attempt(throttle, 'bob', freshIp())).toBe('ok')
  })

  it('a success, or unlock (a password reset), ends the delays and the account lock', async () => {
    vi.useFakeTimers()
    const throttle = new LoginThrottle(distributed)
    for (let i = 0; i < 4; i++) expect(await attempt(throttle, 'ada', freshIp())).toBe('ok')
    expect(await attempt(throttle, 'ada', freshIp())).toBe('TOO_MANY_ATTEMPTS 1')
    await throttle.unlock('ada')
    for (let i = 0; i < 4; i++) expect(await attempt(throttle, 'ada', freshIp())).toBe('ok')
    const ip = freshIp()
    expect(await attempt(throttle, 'ada', ip)).toBe('TOO_MANY_ATTEMPTS 1')
    vi.advanceTimersByTime(1000)
    expect(await attempt(throttle, 'ada', ip)).toBe('ok')
    await throttle.succeeded({ key: 'ada' }, ip)
    for (let i = 0; i < 4; i++) expect(await attempt(throttle, 'ada', freshIp())).toBe('ok')
  })
})
