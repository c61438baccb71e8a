import { and, asc, eq, gt, ilike, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { newId } from '../db/columns.js'
import { users, type UserRow } from './db/schema.js'

export type NewUser = Pick<UserRow, 'email' | 'name' | 'role'> & Partial<Pick<UserRow, 'username' | 'passwordHash' | 'avatarUrl' | 'emailVerifiedAt'>>
export type UserChanges = Partial<Pick<UserRow, 'name' | 'avatarUrl' | 'role' | 'disabled' | 'passwordHash' | 'emailVerifiedAt' | 'username'>>

export interface UserListQuery {
  role?: string
  search?: string
  disabled?: boolean
  verified?: boolean
  after?: string
  limit: number
}

/** Postgres unique-violation on one of the users' unique indexes, by constraint name. */
export function uniqueViolation(error: unknown): 'email' | 'username' | undefined {
  const cause = (error as { cause?: { code?: string; constraint_name?: string; constraint?: string } }).cause ?? (error as { code?: string; constraint?: string })
  if ((cause as { code?: string }).code !== '23505') return undefined
  const constraint = (cause as { constraint_name?: string; constraint?: string }).constraint_name ?? (cause as { constraint?: string }).constraint ?? ''
  return constraint.includes('username') ? 'username' : constraint.includes('email') ? 'email' : undefined
}

const active = isNull(users.deletedAt)

export function createUsersRepository(db: Db) {
  // The hottest query (every /me, every permission check by id): built once, prepared on the server.
  let byId: { execute(values: { id: string }): Promise<UserRow[]> } | undefined
  const findByIdPrepared = () =>
    (byId ??= db.select().from(users).where(and(eq(users.id, sql.placeholder('id')), active)).limit(1).prepare('users_find_by_id'))
  // Every sign-in's lookup, by e-mail or by username: built once each too.
  let byEmail: { execute(values: { login: string }): Promise<UserRow[]> } | undefined
  let byUsername: typeof byEmail
  const findByLoginPrepared = (column: 'email' | 'username') =>
    column === 'email'
      ? (byEmail ??= db.select().from(users).where(and(eq(users.email, sql.placeholder('login')), active)).limit(1).prepare('users_find_by_email'))
      : (byUsername ??= db.select().from(users).where(and(eq(users.username, sql.placeholder('login')), active)).limit(1).prepare('users_find_by_username'))

  return {
    async insert(values: NewUser): Promise<UserRow> {
      const [row] = await db.insert(users).values({ id: newId(), ...values }).returning()
      return row!
    },

    async findById(id: string): Promise<UserRow | undefined> {
      const [row] = await findByIdPrepared().execute({ id })
      return row
    },

    /** By lower-cased e-mail or username. */
    async findByLogin(login: { email?: string; username?: string }): Promise<UserRow | undefined> {
      const [row] = login.email
        ? await findByLoginPrepared('email').execute({ login: login.email.toLowerCase() })
        : await findByLoginPrepared('username').execute({ login: (login.username ?? '').toLowerCase() })
      return row
    },

    async update(id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRow | undefined> {
      const versionMatches = expectedVersion === undefined ? undefined : eq(users.version, expectedVersion)
      const [row] = await db
        .update(users)
        .set({ ...changes, version: sql`${users.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(users.id, id), active, versionMatches))
        .returning()
      return row
    },

    /** Keyset page ordered by id (UUIDv7, so by creation): no count of the table, however it is filtered. */
    async list(query: UserListQuery): Promise<UserRow[]> {
      const conditions: (SQL | undefined)[] = [active]
      if (query.role) conditions.push(eq(users.role, query.role))
      if (query.search) {
        const pattern = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        conditions.push(or(ilike(users.name, pattern), ilike(users.email, pattern), ilike(users.username, pattern)))
      }
      if (query.disabled !== undefined) conditions.push(eq(users.disabled, query.disabled))
      if (query.verified !== undefined) conditions.push(query.verified ? isNotNull(users.emailVerifiedAt) : isNull(users.emailVerifiedAt))
      if (query.after) conditions.push(gt(users.id, query.after))
      return db.select().from(users).where(and(...conditions)).orderBy(asc(users.id)).limit(query.limit)
    },

    /**
     * Locks the active administrators' rows for the rest of the transaction and returns their ids,
     * so two admins demoting each other at once cannot both pass a last-admin check.
     */
    async lockActiveAdmins(): Promise<string[]> {
      const rows = await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.disabled, false), active))
        .orderBy(asc(users.id))
        .for('update')
      return rows.map((row) => row.id)
    },

    async countAdmins(): Promise<number> {
      const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(users).where(and(eq(users.role, 'admin'), eq(users.disabled, false), active))
      return row?.count ?? 0
    },

    /** Erases personal data; the row stays so that records other users see keep a valid reference. */
    async erase(id: string): Promise<boolean> {
      const rows = await db
        .update(users)
        .set({
          email: `deleted-${id}@deleted.invalid`,
          username: null,
          name: 'Deleted user',
          avatarUrl: null,
          passwordHash: null,
          disabled: true,
          deletedAt: sql`now()`,
          version: sql`${users.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(users.id, id), active))
        .returning({ id: users.id })
      return rows.length > 0
    },
  }
}

export type UsersRepository = ReturnType<typeof createUsersRepository>
