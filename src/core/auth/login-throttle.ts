import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { AppError } from '../errors/app-error.js'

export interface ThrottleSettings {
  maxFailuresPerAccount: number
  maxFailuresPerIp: number
  lockoutSeconds: number
}

/**
 * Failed sign-ins counted per account and per IP; the attempt past the limit locks the key out
 * for `lockoutSeconds` (429 with Retry-After). Counters live in Redis when configured, so the
 * limit holds across instances.
 *
 * An attempt is counted before its password is checked and given back when the password was
 * right: a count taken only after the check would let any number of parallel guesses through.
 */
export class LoginThrottle {
  private readonly perAccount: RateLimiterAbstract
  private readonly perIp: RateLimiterAbstract

  constructor(settings: ThrottleSettings, redis?: Redis) {
    const make = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const options = { keyPrefix, points, duration: settings.lockoutSeconds, blockDuration: settings.lockoutSeconds }
      // While Redis is unreachable each instance keeps counting in memory: limits loosen to
      // per-instance ones instead of every sign-in failing.
      return redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: false, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options)
    }
    this.perAccount = make('plinth:login-fail:account', settings.maxFailuresPerAccount)
    this.perIp = make('plinth:login-fail:ip', settings.maxFailuresPerIp)
  }

  /** Counts an attempt as failed until `succeeded` says otherwise; throws 429 when the account or the IP is locked out. */
  async attempt(account: string, ip: string): Promise<void> {
    const limits = [
      [this.perAccount, account],
      [this.perIp, ip],
    ] as const
    const results = await Promise.allSettled(limits.map(([limiter, key]) => limiter.consume(key)))
    const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
    if (refusals.length === 0) return
    // A refused attempt is not a guess: it must not count against the limit that let it through.
    const counted = limits.filter((_limit, i) => results[i]!.status === 'fulfilled')
    await Promise.all(counted.map(([limiter, key]) => limiter.reward(key, 1)))
    // The store failed (Redis down): that is not a reason to let guesses through.
    const failure = refusals.find((reason) => !(reason instanceof RateLimiterRes))
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('login throttle store failed', { cause: failure })
    throw tooMany(refusals as RateLimiterRes[])
  }

  /** Ends an account's lockout (its owner proved control of the mailbox by resetting the password). */
  async unlock(account: string): Promise<void> {
    await this.perAccount.delete(account)
  }

  /** The password was right: the account's count starts over and the attempt does not count against the IP. */
  async succeeded(account: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.delete(account), this.perIp.reward(ip, 1)])
  }
}

function tooMany(states: RateLimiterRes[]): AppError {
  const seconds = Math.max(1, ...states.map((state) => Math.ceil(state.msBeforeNext / 1000)))
  return new AppError('TOO_MANY_ATTEMPTS', `Too many failed sign-in attempts; retry in ${seconds} s.`, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) })
}
