import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { newId, timestampMs } from '../../db/columns.js'

/** Messages kept instead of sent when no SMTP_URL is configured (development). */
export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: uuid('id').primaryKey().$defaultFn(newId),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  // Retention deletes old messages in batches, oldest first.
  (table) => [index('email_outbox_created_idx').on(table.createdAt)],
)
