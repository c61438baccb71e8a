import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'

/** The tsquery as SQL: always `to_tsquery('simple', $1)` with a text built by `toPrefixTsQuery` (search-query.ts). */
export const tsQuery = (query: string): SQL => sql`to_tsquery('simple', ${query})`

/** `vector @@ query`: the GIN indexes on the `search` columns serve it. */
export const tsMatches = (vector: AnyPgColumn, query: string): SQL => sql`${vector} @@ ${tsQuery(query)}`

/**
 * How well a row matches, rounded to 4 decimals as a numeric: `ts_rank` is a float4, and a cursor
 * that carries a float through JSON may not compare equal to what the database recomputes; a
 * rounded numeric does, so ranked pages neither skip nor repeat rows.
 */
export const tsRank = (vector: AnyPgColumn, query: string): SQL<string> => sql<string>`round(ts_rank(${vector}, ${tsQuery(query)})::numeric, 4)`
