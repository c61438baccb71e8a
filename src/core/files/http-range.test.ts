import { describe, expect, it } from 'vitest'
import { matchesEtag, parseRange } from './http-range.js'

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=2-5', { start: 2, end: 5 }],
    ['bytes=5-', { start: 5, end: 9 }],
    ['bytes=8-100', { start: 8, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-30', { start: 0, end: 9 }],
  ])('%s of 10 bytes → %o', (header, range) => {
    expect(parseRange(header, 10)).toEqual(range)
  })

  it.each(['bytes=10-', 'bytes=10-12', 'bytes=-0'])('%s of 10 bytes is unsatisfiable', (header) => {
    expect(parseRange(header, 10)).toBe('unsatisfiable')
  })

  it.each([undefined, '', 'bytes=5-2', 'bytes=-', 'bytes=0-1,3-4', 'items=0-1', 'bytes=a-b'])('ignores %s (the whole file is sent)', (header) => {
    expect(parseRange(header, 10)).toBeUndefined()
  })
})

describe('matchesEtag', () => {
  it('matches the tag, a weak form of it, one of a list, or *', () => {
    expect(matchesEtag('"abc"', '"abc"')).toBe(true)
    expect(matchesEtag('W/"abc"', '"abc"')).toBe(true)
    expect(matchesEtag('"x", "abc"', '"abc"')).toBe(true)
    expect(matchesEtag('*', '"abc"')).toBe(true)
    expect(matchesEtag('"abcd"', '"abc"')).toBe(false)
    expect(matchesEtag(undefined, '"abc"')).toBe(false)
  })
})
