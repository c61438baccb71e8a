import { describe, expect, it } from 'vitest'
import { isConnectionFailure } from './unavailable.js'

describe('isConnectionFailure', () => {
  it('knows node-postgres’s connection failures (the job queue’s driver), which it names only in the message', () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Query read timeout',
      'Client has encountered a connection error and is not queryable',
    ]) {
      expect(isConnectionFailure(new Error(message)), message).toBe(true)
    }
  })

  it('keeps other errors as they are, even when their message quotes such a phrase', () => {
    expect(isConnectionFailure(new Error('relation "job" does not exist'))).toBe(false)
    expect(isConnectionFailure(Object.assign(new Error('Query read timeout'), { code: '42P01' }))).toBe(false)
    expect(isConnectionFailure(new Error('Failed query: select 1 -- Query read timeout'))).toBe(false)
  })

  it('still knows SQLSTATEs and socket codes', () => {
    expect(isConnectionFailure(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(true)
    expect(isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true)
    // A database socket that is gone, but not any missing file.
    expect(isConnectionFailure(Object.assign(new Error('connect ENOENT /data/postgres/.s.PGSQL.5432'), { code: 'ENOENT', syscall: 'connect' }))).toBe(true)
    expect(isConnectionFailure(Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: 'ENOENT', syscall: 'open' }))).toBe(false)
  })
})
