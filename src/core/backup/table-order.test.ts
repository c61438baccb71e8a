import { describe, expect, it } from 'vitest'
import { dependencyOrder } from './table-order.js'

describe('dependencyOrder', () => {
  it('puts referenced tables first, ties by name', () => {
    const edges = [
      { table: 'sessions', references: 'users' },
      { table: 'refresh_tokens', references: 'sessions' },
      { table: 'files', references: 'users' },
    ]
    expect(dependencyOrder(['refresh_tokens', 'sessions', 'files', 'users', 'audit_log'], edges)).toEqual(['audit_log', 'users', 'files', 'sessions', 'refresh_tokens'])
  })

  it('needs nothing for a table that references itself, and ignores tables outside the list', () => {
    const edges = [
      { table: 'comments', references: 'comments' },
      { table: 'comments', references: 'elsewhere' },
    ]
    expect(dependencyOrder(['comments', 'a'], edges)).toEqual(['a', 'comments'])
  })

  it('places tables in a cycle, and what depends on them, after the rest', () => {
    const edges = [
      { table: 'a', references: 'b' },
      { table: 'b', references: 'a' },
      { table: 'c', references: 'a' },
    ]
    expect(dependencyOrder(['c', 'b', 'a', 'z'], edges)).toEqual(['z', 'a', 'b', 'c'])
  })
})
