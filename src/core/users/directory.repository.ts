import { and, asc, eq, ilike, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { containsPattern } from '../db/columns.js'
import { users } from './db/schema.js'

/** The public columns of an account: what any signed-in user may see of another. */
const publicColumns = { id: users.id, username: users.username, name: users.name, avatarUrl: users.avatarUrl, deletedAt: users.deletedAt }

export type PublicUserRow = { id: string; username: string | null; name: string; avatarUrl: string | null; deletedAt: Date | null }

/**
 * What modules read of the users table, through `ModuleContext.users`: public columns only, by
 * batches of ids (one prepared statement, `id = any($1::uuid[])`) or a bounded name search.
 */
export function createUserDirectoryRepository(db: Db) {
  let byIds: { execute(values: { ids: string[] }): Promise<PublicUserRow[]> } | undefined
  let activeByIds: { execute(values: { ids: string[] }): Promise<{ id: string }[]> } | undefined
  let contactsByIds: { execute(values: { ids: string[] }): Promise<(PublicUserRow & { email: string })[]> } | undefined
  let recipientById: { execute(values: { id: string }): Promise<{ email: string; name: string }[]> } | undefined
  const idIn = sql`${users.id} = any(${sql.placeholder('ids')}::uuid[])`

  return {
    /** Accounts with these ids, deleted ones included (erased: "Deleted user", no username or avatar). */
    profiles(ids: string[]): Promise<PublicUserRow[]> {
      byIds ??= db.select(publicColumns).from(users).where(idIn).prepare('users_directory_profiles')
      return byIds.execute({ ids })
    },

    /** Like `profiles`, with the stored address (a deleted account's is `deleted-<id>@deleted.invalid`). */
    contacts(ids: string[]): Promise<(PublicUserRow & { email: string })[]> {
      contactsByIds ??= db
        .select({ ...publicColumns, email: users.email })
        .from(users)
        .where(idIn)
        .prepare('users_directory_contacts')
      return contactsByIds.execute({ ids })
    },

    /** The ids among these of accounts that exist (not deleted). */
    async existing(ids: string[]): Promise<string[]> {
      activeByIds ??= db.select({ id: users.id }).from(users).where(and(idIn, isNull(users.deletedAt))).prepare('users_directory_existing')
      return (await activeByIds.execute({ ids })).map((row) => row.id)
    },

    /** The ids among these of active accounts (not deleted, not disabled). */
    async active(ids: string[]): Promise<string[]> {
      const rows = await db.select({ id: users.id }).from(users).where(and(idIn, isNull(users.deletedAt), eq(users.disabled, false))).execute({ ids })
      return rows.map((row) => row.id)
    },

    /** Active (not deleted, not disabled) accounts whose name or username contains `text`, by name then id. */
    /**
     * Ranked: an exact name or username first, then one that starts with the text, then a word of the
     * name that does, then any other match; by name within a rank. `offset` pages through them.
     */
    search(text: string, limit: number, offset = 0): Promise<PublicUserRow[]> {
      const pattern = containsPattern(text)
      const prefix = pattern.slice(1)
      const rank = sql`case
        when lower(${users.name}) = lower(${text}) or ${users.username} = lower(${text}) then 0
        when ${users.name} ilike ${prefix} or ${users.username} ilike ${prefix} then 1
        when ${users.name} ilike ${`% ${prefix}`} then 2
        else 3 end`
      return db
        .select(publicColumns)
        .from(users)
        .where(and(isNull(users.deletedAt), eq(users.disabled, false), or(ilike(users.name, pattern), ilike(users.username, pattern))))
        .orderBy(rank, asc(users.name), asc(users.id))
        .limit(limit)
        .offset(offset)
    },

    /** Active accounts with these (lower-cased) usernames. */
    byUsernames(names: string[]): Promise<PublicUserRow[]> {
      return db
        .select(publicColumns)
        .from(users)
        .where(and(inArray(users.username, names), isNull(users.deletedAt), eq(users.disabled, false)))
    },

    /** The active account with exactly this (lower-cased) e-mail address. */
    async byEmail(email: string): Promise<PublicUserRow | undefined> {
      const [row] = await db
        .select(publicColumns)
        .from(users)
        .where(and(eq(users.email, email), isNull(users.deletedAt), eq(users.disabled, false)))
        .limit(1)
      return row
    },

    /** Where mail to an account goes: only an active (not deleted, not disabled) one. Never handed to modules. */
    async recipient(id: string): Promise<{ email: string; name: string } | undefined> {
      recipientById ??= db
        .select({ email: users.email, name: users.name })
        .from(users)
        .where(and(eq(users.id, sql.placeholder('id')), isNull(users.deletedAt), eq(users.disabled, false)))
        .limit(1)
        .prepare('users_directory_recipient')
      const [row] = await recipientById.execute({ id })
      return row
    },
  }
}

export type UserDirectoryRepository = ReturnType<typeof createUserDirectoryRepository>
