import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type postgres from 'postgres'
import type { BackupTable } from '../format.js'
import { qualified, quoteIdentifier, type Queryable } from './catalog.js'

const columnList = (table: BackupTable): string => table.columns.map(quoteIdentifier).join(', ')

/** The table's rows as COPY text, streamed (postgres.js pauses the socket while the reader is behind). */
export async function* copyOut(sql: Queryable, table: BackupTable): AsyncGenerator<Buffer> {
  const readable = await sql.unsafe(`copy ${qualified(table.name)} (${columnList(table)}) to stdout`).readable()
  for await (const chunk of readable) yield chunk as Buffer
  // postgres.js 3.4.9 leaves the socket paused when the last rows and the end of the COPY arrive in one
  // read while the reader is behind (porsager/postgres#499, #1016): the next query would wait forever.
  // The stream's own read hook resumes the socket.
  ;(readable as unknown as { _read(size: number): void })._read(0)
}

/** A COPY FROM STDIN in progress: write whole rows, then `end()`; both fail with PostgreSQL's error. */
export interface CopyIn {
  write(data: Buffer): Promise<void>
  end(): Promise<void>
  /** Gives up (the transaction must then be rolled back). */
  abort(reason: Error): void
}

/**
 * postgres.js 3.4.9 loses an error that PostgreSQL reports after the last row was sent (a foreign key or
 * unique check at the end of the COPY): the writable then never finishes and the error goes to the
 * query's `reject`, which was already settled (porsager/postgres#1173). So the query's `reject` is
 * watched here and the error raised from `write`/`end` instead.
 */
export async function copyIn(sql: Queryable, table: BackupTable): Promise<CopyIn> {
  const query = sql.unsafe(`copy ${qualified(table.name)} (${columnList(table)}) from stdin`) as postgres.PendingQuery<postgres.Row[]> & { reject: (error: unknown) => void }
  let fail!: (error: unknown) => void
  const failed = new Promise<never>((_, reject) => (fail = reject))
  // Observed only through the races below; an unobserved rejection must not crash the process.
  failed.catch(() => {})
  const reject = query.reject
  query.reject = (error: unknown) => {
    fail(error)
    reject(error)
  }
  const writable: Writable = await Promise.race([query.writable(), failed])
  writable.on('error', fail)
  return {
    write: async (data) => {
      if (!writable.write(data)) await Promise.race([once(writable, 'drain'), failed])
    },
    end: async () => {
      const finished = once(writable, 'finish')
      writable.end()
      await Promise.race([finished, failed])
    },
    abort: (reason) => writable.destroy(reason),
  }
}
