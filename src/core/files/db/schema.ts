import { sql } from 'drizzle-orm'
import { bigint, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { timestampMs } from '../../db/columns.js'
import { users } from '../../users/db/schema.js'

/** Uploaded files. The bytes live in the storage driver under keys derived from the id. */
export const files = pgTable(
  'files',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    /** The client's file name, sanitized: shown and used in downloads, never in storage paths. */
    name: text('name').notNull(),
    /** Decided from the bytes (magic numbers), never from the name or the client's header. */
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** Hex SHA-256 of the content; also the ETag. */
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    /** WebP thumbnail of an image; null until made, or when the image could not be decoded. */
    thumbnailKey: text('thumbnail_key'),
    /** Images only: `pending` until the `files.thumbnail` job ran, then `ready` or `failed`. */
    thumbnailStatus: text('thumbnail_status', { enum: ['pending', 'ready', 'failed'] }),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (table) => [index('files_owner_idx').on(table.ownerId, table.id)],
)

/**
 * Bytes stored per user, kept in the same transaction as every insert and delete of `files`, and
 * the user's own quota when a module set one.
 */
export const fileUsage = pgTable(
  'file_usage',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    files: integer('files').notNull().default(0),
    /** Set by a module (`ctx.files.setQuota`): bytes this user may store, 0 for no quota; null: STORAGE_QUOTA_BYTES. */
    quotaBytes: bigint('quota_bytes', { mode: 'number' }),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  // The administrators' usage list: owners with files, largest first, paged by (bytes, user id).
  (table) => [index('file_usage_bytes_idx').on(table.bytes, table.userId).where(sql`${table.files} > 0`)],
)

export type FileRow = typeof files.$inferSelect
export type NewFileRow = typeof files.$inferInsert
