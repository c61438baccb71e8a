import { describe, expect, it } from 'vitest'
import { SendBudget } from './client-events.js'

describe('SendBudget', () => {
  it('allows a burst of perSecond, then one more per 1/perSecond s, never more than perSecond saved up', () => {
    let now = 0
    const budget = new SendBudget(10, () => now)
    expect(Array.from({ length: 11 }, () => budget.take())).toEqual([...Array(10).fill(true), false])
    expect(budget.retryAfterMs()).toBe(100)
    now += 99
    expect(budget.take()).toBe(false)
    now += 1
    expect(budget.take()).toBe(true)
    expect(budget.take()).toBe(false)
    now += 60_000
    expect(Array.from({ length: 11 }, () => budget.take()).filter(Boolean)).toHaveLength(10)
  })
})
