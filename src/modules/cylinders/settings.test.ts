import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config/index.js'
import { cylindersModule } from './index.js'

const load = (env: Record<string, string> = {}) => loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-cyl-settings-')), ...env }, { modules: [cylindersModule] })

function problems(env: Record<string, string>): string[] {
  try {
    load(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('cylinders settings', () => {
  it('defaults to UTC, a 60 s inventory cache and 300 scans a minute', () => {
    expect(load().moduleSettings.cylinders).toEqual({ scanRateLimitPerMinute: 300, inventoryCacheSeconds: 60, timeZone: 'UTC' })
    expect(load({ CYLINDERS_TIMEZONE: 'America/Chicago', CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: '0', CYLINDERS_INVENTORY_CACHE_SECONDS: '0' }).moduleSettings.cylinders).toEqual({
      scanRateLimitPerMinute: 0,
      inventoryCacheSeconds: 0,
      timeZone: 'America/Chicago',
    })
  })

  it('refuses a time zone that does not exist and out-of-range numbers, naming each', () => {
    expect(problems({ CYLINDERS_TIMEZONE: 'Mars/Olympus' })).toEqual([expect.stringMatching(/^CYLINDERS_TIMEZONE="Mars\/Olympus" is invalid: expected an IANA time zone/)])
    expect(problems({ CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: '-1', CYLINDERS_INVENTORY_CACHE_SECONDS: '86401' })).toEqual([
      'CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE="-1" is invalid: expected an integer ≥ 0 (0 disables the limit)',
      'CYLINDERS_INVENTORY_CACHE_SECONDS="86401" is invalid: expected an integer number of seconds 0–86400 (0 disables the cache)',
    ])
  })

  it('are not read when MODULES leaves the module out', () => {
    expect(load({ MODULES: 'none', CYLINDERS_TIMEZONE: 'Mars/Olympus' }).moduleSettings).toEqual({})
  })
})
