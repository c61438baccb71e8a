import { integer, timestamp, uuid } from 'drizzle-orm/pg-core'
import { v7 as uuidv7 } from 'uuid'

/** Millisecond precision, so a timestamp survives the round trip through JSON and cursors. */
export const timestampMs = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' })

/** The columns of every resource table: time-ordered id, version for optimistic concurrency, times. */
export const resourceColumns = () => ({
  id: uuid('id').primaryKey().$defaultFn(() => uuidv7()),
  version: integer('version').notNull().default(1),
  createdAt: timestampMs('created_at').notNull().defaultNow(),
  updatedAt: timestampMs('updated_at').notNull().defaultNow(),
})

export const newId = (): string => uuidv7()

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether a string can be a row id: check before querying a uuid column with untrusted text. */
export const isUuid = (value: string): boolean => UUID.test(value)

/** A LIKE/ILIKE pattern matching `text` anywhere, with its own `%`, `_` and backslashes taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
