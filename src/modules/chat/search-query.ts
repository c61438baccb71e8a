/** Longest search text accepted (the routes' `q` schema says so too). */
export const MAX_SEARCH_TEXT = 200
/** Terms beyond these are dropped: each is an AND in the GIN lookup, and more never narrow a chat search usefully. */
export const MAX_SEARCH_TERMS = 12
/** PostgreSQL ignores longer lexemes (with a notice); a longer "word" cannot match anything. */
const MAX_TERM_LENGTH = 100

/**
 * Words as the `simple` text-search parser sees plain words: runs of letters, marks and digits.
 * Everything else (tsquery operators `& | ! ( ) : * < - >`, quotes, backslashes, punctuation) only
 * separates words, so nothing the user types reaches `to_tsquery` as syntax.
 */
const WORD = /[\p{L}\p{M}\p{N}]+/gu

/**
 * The user's words, as typed: `to_tsquery('simple', …)` lower-cases them exactly as `to_tsvector`
 * did the documents (JavaScript's lower-casing differs for some letters, e.g. 'İ').
 */
export function searchTerms(text: string): string[] {
  const terms = text.match(WORD) ?? []
  return terms.filter((term) => term.length <= MAX_TERM_LENGTH).slice(0, MAX_SEARCH_TERMS)
}

/**
 * A `tsquery` text for `to_tsquery('simple', …)` from what a user typed: every word must occur
 * (`&`), and the last one may be the start of a word (`:*`), so results appear while typing
 * ("hello wor" finds "hello world"). Null when there is no word at all: callers treat that as
 * "no text condition" or refuse it, never as a query that matches everything. The SQL side
 * (`tsMatches`, `tsRank`) is in search.repository.ts.
 */
export function toPrefixTsQuery(text: string): string | null {
  const terms = searchTerms(text)
  if (terms.length === 0) return null
  return terms.map((term, index) => (index === terms.length - 1 ? `${term}:*` : term)).join(' & ')
}
