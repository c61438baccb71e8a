import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { resourceColumns, timestampMs } from '../../db/columns.js'
import { users } from '../../users/db/schema.js'

/** One login on one device: the refresh-token family. */
export const sessions = pgTable(
  'sessions',
  {
    ...resourceColumns(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /**
     * The current refresh token sealed with ENCRYPTION_KEY (AES-256-GCM), so a concurrent refresh
     * inside the grace window can be given the same pair. Lookups use only hashes.
     */
    currentTokenSealed: text('current_token_sealed').notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    lastUsedAt: timestampMs('last_used_at').notNull().defaultNow(),
    expiresAt: timestampMs('expires_at').notNull(),
    revokedAt: timestampMs('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (table) => [
    index('sessions_user_idx').on(table.userId, table.createdAt),
    index('sessions_revoked_idx').on(table.revokedAt),
    // Retention deletes expired sessions in batches, oldest first.
    index('sessions_expires_idx').on(table.expiresAt),
  ],
)

/** Every refresh token a session has issued, by SHA-256 hash: reuse of an old one is detectable. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    /** When the token was exchanged for its successor; null while it is the current one. */
    rotatedAt: timestampMs('rotated_at'),
  },
  (table) => [index('refresh_tokens_session_idx').on(table.sessionId), index('refresh_tokens_created_idx').on(table.createdAt)],
)

/** Single-use e-mail tokens (verification, password reset), stored hashed. */
export const emailTokens = pgTable(
  'email_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    expiresAt: timestampMs('expires_at').notNull(),
    usedAt: timestampMs('used_at'),
  },
  (table) => [index('email_tokens_user_idx').on(table.userId, table.purpose), index('email_tokens_expires_idx').on(table.expiresAt)],
)

export type SessionRow = typeof sessions.$inferSelect

/**
 * API keys for external services: `plk_` + 32 random bytes, stored only as its SHA-256 (looked up
 * by it), with the first characters kept for display. A key acts as its owner, limited to its scopes.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    /** `plk_` and the first 8 characters of the secret: not enough to use it, enough to recognise it. */
    prefix: text('prefix').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** Permission keys the key may use (at most its owner's role has, then and at each use). */
    scopes: text('scopes').array().notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    /** Null: never expires. */
    expiresAt: timestampMs('expires_at'),
    /** Written at most once a minute per key and instance. */
    lastUsedAt: timestampMs('last_used_at'),
    /** When a use was last written to the audit log (at most once an hour per key). */
    useAuditedAt: timestampMs('use_audited_at'),
    revokedAt: timestampMs('revoked_at'),
    createdBy: uuid('created_by'),
  },
  (table) => [uniqueIndex('api_keys_token_hash_key').on(table.tokenHash), index('api_keys_user_idx').on(table.userId, table.createdAt)],
)

export type ApiKeyRow = typeof apiKeys.$inferSelect
