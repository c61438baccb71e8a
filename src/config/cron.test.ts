import cronParser from 'cron-parser'
import { describe, expect, it } from 'vitest'
import { cronProblem } from './cron.js'
import { ConfigError, loadConfig } from './index.js'

const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/plinth-cron-test', JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: '11'.repeat(32) }

describe('cron expressions', () => {
  it('accepts what the job queue schedules', () => {
    for (const expression of ['0 3 * * *', '*/15 * * * *', '30 2 * * 0', '0 0 1,15 * *', '0 4 * * mon-fri', '5 1-5/2 * JAN,jul 7', '0 0 31 12 *']) {
      expect(cronProblem(expression), expression).toBeUndefined()
      // The job queue's parser (pg-boss) takes it too.
      expect(() => cronParser.parseExpression(expression, { tz: 'UTC' }), expression).not.toThrow()
    }
  })

  it('says what is wrong with the rest', () => {
    expect(cronProblem('0 3 * *')).toBe('it has 4 fields, not 5')
    expect(cronProblem('0 0 3 * * *')).toBe('it has 6 fields, not 5')
    expect(cronProblem('61 * * * *')).toBe('the minute field "61" allows only 0–59')
    expect(cronProblem('0 24 * * *')).toBe('the hour field "24" allows only 0–23')
    expect(cronProblem('0 0 0 * *')).toBe('the day-of-month field "0" allows only 1–31')
    expect(cronProblem('0 0 * 13 *')).toBe('the month field "13" allows only 1–12 or jan–dec')
    expect(cronProblem('0 0 * * fun')).toBe('the day-of-week field "fun" allows only 0–7 or sun–sat')
    expect(cronProblem('0 5-1 * * *')).toBe('the hour field "5-1" has a range that runs backwards')
    expect(cronProblem('*/0 * * * *')).toBe('the minute field "*/0" has a step below 1')
    expect(cronProblem('@daily')).toBe('it has 1 field, not 5')
    expect(cronProblem('0 3 * * ?')).toBe('the day-of-week field "?" is not a value, range, list or step')
  })
})

describe('BACKUP_CRON and BACKUP_KEEP', () => {
  it('are off and 7 by default', () => {
    expect(loadConfig(base).backup).toEqual({ cron: undefined, keep: 7 })
    expect(loadConfig({ ...base, BACKUP_CRON: ' 0 3 * * * ', BACKUP_KEEP: '30' }).backup).toEqual({ cron: '0 3 * * *', keep: 30 })
  })

  it('stop the start with a clear message when invalid', () => {
    const failure = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env })
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        return (error as ConfigError).message
      }
      throw new Error('loadConfig accepted it')
    }
    expect(failure({ BACKUP_CRON: '0 25 * * *' })).toContain('BACKUP_CRON="0 25 * * *" is invalid (the hour field "25" allows only 0–23): expected a cron expression of 5 fields')
    expect(failure({ BACKUP_KEEP: '0' })).toContain('BACKUP_KEEP=0 is invalid: expected an integer number of backups 1–1000')
  })
})
