import { describe, expect, it } from 'vitest'
import { isForeignKeyViolation, isUniqueViolation, pgError, retryOnDeadlock } from './pg-errors.js'

const pg = (code: string, constraint?: string) => Object.assign(new Error('db'), { code, constraint_name: constraint })
const wrapped = (cause: Error) => Object.assign(new Error('query failed'), { cause })

describe('pgError', () => {
  it('finds the SQLSTATE and constraint, also inside a wrapping error', () => {
    expect(pgError(wrapped(pg('23505', 'users_email_key')))).toEqual({ code: '23505', constraint: 'users_email_key' })
    expect(isUniqueViolation(wrapped(pg('23505', 'a')), 'a')).toBe(true)
    expect(isUniqueViolation(pg('23505', 'a'), 'b')).toBe(false)
    expect(isForeignKeyViolation(pg('23503'))).toBe(true)
    expect(pgError(new Error('plain'))).toBeUndefined()
    expect(pgError(Object.assign(new Error('node'), { code: 'ECONNREFUSED' }))).toBeUndefined()
  })
})

describe('retryOnDeadlock', () => {
  it('repeats work that lost a deadlock, and gives up after the last attempt', async () => {
    let calls = 0
    expect(await retryOnDeadlock(async () => (++calls < 3 ? Promise.reject(pg('40P01')) : 'done'))).toBe('done')
    expect(calls).toBe(3)
    calls = 0
    await expect(retryOnDeadlock(async () => (++calls, Promise.reject(pg('40P01'))), 2)).rejects.toThrow('db')
    expect(calls).toBe(2)
  })

  it('does not repeat other failures', async () => {
    let calls = 0
    await expect(retryOnDeadlock(async () => (++calls, Promise.reject(pg('23505'))))).rejects.toThrow()
    expect(calls).toBe(1)
  })
})
