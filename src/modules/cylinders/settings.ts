import Type from 'typebox'
import { defineSettings } from '../../core/module.js'

/** The module's environment variables (README, "Module settings"), as `ctx.settings`. */
export const cylinderSettings = defineSettings({
  schema: Type.Object({
    CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, default: 300, description: 'an integer ≥ 0 (0 disables the limit)' }),
    CYLINDERS_INVENTORY_CACHE_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 60, description: 'an integer number of seconds 0–86400 (0 disables the cache)' }),
    CYLINDERS_TIMEZONE: Type.String({ minLength: 1, default: 'UTC', description: 'an IANA time zone such as Europe/Berlin or America/Chicago' }),
  }),
  check: { CYLINDERS_TIMEZONE: isTimeZone },
  parse: (env) => ({
    /** Scans and batch moves per minute per account; 0: no limit. */
    scanRateLimitPerMinute: env.CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE,
    /** How long an inventory summary may be served from the cache (every change also clears it); 0: never cached. */
    inventoryCacheSeconds: env.CYLINDERS_INVENTORY_CACHE_SECONDS,
    /** The depot's time zone: what "today" is for test due dates. */
    timeZone: env.CYLINDERS_TIMEZONE,
  }),
})

export interface CylindersSettings {
  readonly scanRateLimitPerMinute: number
  readonly inventoryCacheSeconds: number
  readonly timeZone: string
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}
