import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { AppError } from '../errors/app-error.js'

export interface ThrottleSettings {
  /** Failed attempts on one account from one IP before that IP is locked out of the account. */
  maxFailures: number
  /** Failed attempts from one IP, whatever the accounts, before the IP is locked out. */
  maxFailuresPerIp: number
  /** Failed attempts on one account from all IPs together before the account itself is locked. */
  maxFailuresPerAccount: number
  /** The window failures are counted in, and the length of a lockout. */
  lockoutSeconds: number
}

/** The account an attempt is made on. */
export interface ThrottledAccount {
  /** One key per account, whichever name (e-mail or username) it is given by. */
  key: string
  /**
   * Changes when the owner proves control of the account (a new password): the per-IP counts
   * taken before no longer apply, since the IPs that made them cannot be listed to clear them.
   */
  epoch?: string
}

/**
 * Failed sign-ins, counted so that guessing is slow and nobody can lock anyone else out cheaply
 * (OWASP's guidance on account lockout):
 *
 * - per account and IP: `maxFailures` locks that IP out of that account for `lockoutSeconds`;
 *   the owner elsewhere signs in as before;
 * - per IP, across accounts: `maxFailuresPerIp` locks the IP out (password spraying);
 * - per account, across IPs: once the account has more than `maxFailures` failures from all IPs
 *   together (so from more than one), each further attempt must wait a delay that doubles — 1 s,
 *   2 s, 4 s… up to `lockoutSeconds / maxFailuresPerAccount` — and `maxFailuresPerAccount`
 *   failures lock the account itself. The cap lets that limit be reached within one window, but no
 *   faster than one guess per capped delay. An attempt within a delay is answered 429 at once,
 *   with its Retry-After: nothing waits while holding a connection.
 *
 * Refusals are 429 `TOO_MANY_ATTEMPTS` with Retry-After. Counters live in Redis when configured,
 * so the limits hold across instances. An attempt is counted before its password is checked and
 * given back when the password was right: a count taken only after the check would let any number
 * of parallel guesses through.
 */
export class LoginThrottle {
  private readonly perSource: RateLimiterAbstract
  private readonly perIp: RateLimiterAbstract
  private readonly perAccount: RateLimiterAbstract
  /** One attempt per delay: closed for the delay by each attempt past the free ones. */
  private readonly delay: RateLimiterAbstract
  private readonly maxDelaySeconds: number

  constructor(
    private readonly settings: ThrottleSettings,
    redis?: Redis,
  ) {
    const make = (keyPrefix: string, points: number, blockDuration = settings.lockoutSeconds): RateLimiterAbstract => {
      const options = { keyPrefix, points, duration: settings.lockoutSeconds, blockDuration }
      // While Redis is unreachable each instance keeps counting in memory: limits loosen to
      // per-instance ones instead of every sign-in failing.
      return redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: false, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options)
    }
    this.perSource = make('plinth:login-fail:account-ip', settings.maxFailures)
    this.perIp = make('plinth:login-fail:ip', settings.maxFailuresPerIp)
    this.perAccount = make('plinth:login-fail:account', settings.maxFailuresPerAccount)
    this.delay = make('plinth:login-fail:delay', 1, 0)
    this.maxDelaySeconds = Math.max(1, Math.floor(settings.lockoutSeconds / settings.maxFailuresPerAccount))
  }

  /** Counts an attempt as failed until `succeeded` says otherwise; throws 429 when a limit or a delay refuses it. */
  async attempt(account: ThrottledAccount, ip: string): Promise<void> {
    const limits = [
      [this.perSource, sourceKey(account, ip)],
      [this.perIp, ip],
      [this.perAccount, account.key],
    ] as const
    const results = await Promise.allSettled(limits.map(([limiter, key]) => limiter.consume(key)))
    const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
    // A refused attempt is not a guess: it must not count against the limits that let it through.
    const giveBack = (passed: readonly (typeof limits)[number][]) => Promise.all(passed.map(([limiter, key]) => limiter.reward(key, 1)))
    if (refusals.length > 0) {
      await giveBack(limits.filter((_limit, i) => results[i]!.status === 'fulfilled'))
      // The store failed (Redis down): that is not a reason to let guesses through.
      const failure = refusals.find((reason) => !(reason instanceof RateLimiterRes))
      if (failure !== undefined) throw failure instanceof Error ? failure : new Error('login throttle store failed', { cause: failure })
      throw tooMany(refusals as RateLimiterRes[])
    }
    const failures = (results[2] as PromiseFulfilledResult<RateLimiterRes>).value.consumedPoints
    if (failures <= this.settings.maxFailures) return
    try {
      await this.delay.consume(account.key, 1, { customDuration: this.delaySeconds(failures) })
    } catch (reason) {
      await giveBack(limits)
      if (!(reason instanceof RateLimiterRes)) throw reason instanceof Error ? reason : new Error('login throttle store failed', { cause: reason })
      throw tooMany([reason])
    }
  }

  /** Ends an account's lockout and delays (its owner proved control of the mailbox by resetting the password). */
  async unlock(accountKey: string): Promise<void> {
    await Promise.all([this.perAccount.delete(accountKey), this.delay.delete(accountKey)])
  }

  /** The password was right: the account's counts start over and the attempt does not count against the IP. */
  async succeeded(account: ThrottledAccount, ip: string): Promise<void> {
    await Promise.all([this.perSource.delete(sourceKey(account, ip)), this.perAccount.delete(account.key), this.delay.delete(account.key), this.perIp.reward(ip, 1)])
  }

  /** The wait after the account's `failures`-th failure, once past the free ones: doubling, capped. */
  private delaySeconds(failures: number): number {
    const beyond = failures - this.settings.maxFailures
    return Math.min(this.maxDelaySeconds, 2 ** Math.min(beyond - 1, 30))
  }
}

const sourceKey = (account: ThrottledAccount, ip: string): string => `${account.key}${account.epoch ? `:${account.epoch}` : ''}|${ip}`

function tooMany(states: RateLimiterRes[]): AppError {
  const seconds = Math.max(1, ...states.map((state) => Math.ceil(state.msBeforeNext / 1000)))
  return new AppError('TOO_MANY_ATTEMPTS', `Too many failed sign-in attempts; retry in ${seconds} s.`, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) })
}
