import { sql } from 'drizzle-orm'
import { boolean, index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { resourceColumns, timestampMs } from '../../db/columns.js'

export const users = pgTable(
  'users',
  {
    ...resourceColumns(),
    /** Stored lower-cased; unique. */
    email: text('email').notNull(),
    /** Stored lower-cased; unique when present. */
    username: text('username'),
    name: text('name').notNull(),
    avatarUrl: text('avatar_url'),
    /** argon2id PHC string; null once the account is deleted. */
    passwordHash: text('password_hash'),
    role: text('role').notNull().default('user'),
    disabled: boolean('disabled').notNull().default(false),
    emailVerifiedAt: timestampMs('email_verified_at'),
    /** Set when the account is deleted: personal data is erased, the id stays for references. */
    deletedAt: timestampMs('deleted_at'),
  },
  (table) => [
    uniqueIndex('users_email_key').on(table.email),
    uniqueIndex('users_username_key').on(table.username),
    index('users_role_idx').on(table.role, table.id),
    index('users_active_idx').on(table.id).where(sql`${table.deletedAt} is null`),
  ],
)

export type UserRow = typeof users.$inferSelect
