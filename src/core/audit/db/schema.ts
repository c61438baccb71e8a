import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { newId, timestampMs } from '../../db/columns.js'

/** Append-only record of security-relevant actions. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid('id').primaryKey().$defaultFn(newId),
    /** Who acted; null for anonymous attempts (e.g. a failed login for an unknown account). */
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    /** The user or record acted upon, when not the actor. */
    targetId: uuid('target_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    details: jsonb('details').notNull().default({}),
    at: timestampMs('at').notNull().defaultNow(),
  },
  (table) => [index('audit_log_at_idx').on(table.at, table.id), index('audit_log_actor_idx').on(table.actorId, table.at), index('audit_log_action_idx').on(table.action, table.at)],
)

export type AuditRow = typeof auditLog.$inferSelect
