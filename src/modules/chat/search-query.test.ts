import { describe, expect, it } from 'vitest'
import { MAX_SEARCH_TERMS, searchTerms, toPrefixTsQuery } from './search-query.js'

describe('toPrefixTsQuery', () => {
  it('ANDs the words and lets the last one be a prefix', () => {
    expect(toPrefixTsQuery('hello big wor')).toBe('hello & big & wor:*')
    expect(toPrefixTsQuery('single')).toBe('single:*')
  })

  it('leaves case to PostgreSQL, which folds query and documents alike', () => {
    expect(toPrefixTsQuery('Hello WORLD')).toBe('Hello & WORLD:*')
  })

  it('strips every tsquery operator and quote, so user text is never syntax', () => {
    expect(toPrefixTsQuery(`a & b | !c (d) <-> e:* 'f' "g" \\h`)).toBe('a & b & c & d & e & f & g & h:*')
    expect(toPrefixTsQuery("it's")).toBe('it & s:*')
    expect(toPrefixTsQuery('x:A*B')).toBe('x & A & B:*')
  })

  it('keeps letters and digits of any script', () => {
    expect(toPrefixTsQuery('Grüße привет 東京 42')).toBe('Grüße & привет & 東京 & 42:*')
  })

  it('is null when there is no word (empty, blanks, only operators)', () => {
    for (const text of ['', '   ', '&|!()', ':*', "''", '—…']) expect(toPrefixTsQuery(text)).toBeNull()
  })

  it('keeps at most MAX_SEARCH_TERMS words and drops words no lexeme can be', () => {
    const many = Array.from({ length: MAX_SEARCH_TERMS + 5 }, (_, i) => `w${i}`).join(' ')
    expect(searchTerms(many)).toHaveLength(MAX_SEARCH_TERMS)
    expect(searchTerms(`${'x'.repeat(101)} ok`)).toEqual(['ok'])
  })
})
