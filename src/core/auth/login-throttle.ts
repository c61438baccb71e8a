import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible'
import { AppError } from '../errors/app-error.js'

export interface ThrottleSettings {
  maxFailuresPerAccount: number
  maxFailuresPerIp: number
  lockoutSeconds: number
}

/**
 * Failed sign-ins counted per account and per IP; past the limit the key is locked out for
 * `lockoutSeconds` (429 with Retry-After). Counters live in Redis when configured, so the limit
 * holds across instances.
 */
export class LoginThrottle {
  private readonly perAccount: RateLimiterAbstract
  private readonly perIp: RateLimiterAbstract

  private readonly lockoutSeconds: number

  constructor(settings: ThrottleSettings, redis?: Redis) {
    this.lockoutSeconds = settings.lockoutSeconds
    const make = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const options = { keyPrefix, points, duration: settings.lockoutSeconds, blockDuration: settings.lockoutSeconds }
      return redis ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: false }) : new RateLimiterMemory(options)
    }
    this.perAccount = make('plinth:login-fail:account', settings.maxFailuresPerAccount)
    this.perIp = make('plinth:login-fail:ip', settings.maxFailuresPerIp)
  }

  /** Throws 429 when the account or the IP is locked out. */
  async check(account: string, ip: string): Promise<void> {
    const [byAccount, byIp] = await Promise.all([this.perAccount.get(account), this.perIp.get(ip)])
    const blocked = [[byAccount, this.perAccount.points], [byIp, this.perIp.points]] as const
    for (const [state, points] of blocked) {
      if (state && state.consumedPoints >= points) throw tooMany(state)
    }
  }

  /** Counts a failure; the one that reaches the limit starts a full lockout. */
  async failed(account: string, ip: string): Promise<void> {
    await Promise.all([count(this.perAccount, account, this.lockoutSeconds), count(this.perIp, ip, this.lockoutSeconds)])
  }

  async succeeded(account: string): Promise<void> {
    await this.perAccount.delete(account)
  }
}

async function count(limiter: RateLimiterAbstract, key: string, lockoutSeconds: number): Promise<void> {
  const state = await limiter.penalty(key, 1)
  if (state.consumedPoints === limiter.points) await limiter.block(key, lockoutSeconds)
}

function tooMany(state: RateLimiterRes): AppError {
  const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000))
  return new AppError('TOO_MANY_ATTEMPTS', `Too many failed sign-in attempts; retry in ${seconds} s.`, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) })
}
