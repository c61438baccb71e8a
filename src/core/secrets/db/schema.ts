import { pgTable, text } from 'drizzle-orm/pg-core'
import { timestampMs } from '../../db/columns.js'

/**
 * Values every instance on one database must agree on, written once by the first instance to
 * start: the `ENCRYPTION_KEY` check value (never the key) and, in development with DATABASE_URL
 * and no secrets in the environment, the generated secrets themselves (see boot-secrets.ts).
 */
export const platformSettings = pgTable('platform_settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestampMs('created_at').notNull().defaultNow(),
})
