import { isUuid } from '../db/columns.js'
import type { PublicUserRow, UserDirectoryRepository } from './directory.repository.js'

/** What anyone signed in may see of an account: never its e-mail address, role or state. */
export interface UserProfile {
  readonly id: string
  readonly username: string | null
  readonly name: string
  readonly avatarUrl: string | null
  /** The account was deleted: its personal data is erased (name "Deleted user"), the id stays. */
  readonly deleted: boolean
}

/** A profile with the account's e-mail address: for administrators' views only (see `contacts`). */
export interface UserContact extends UserProfile {
  readonly email: string
}

/**
 * The users, as a module sees them (`ModuleContext.users`): read-only, public fields only. A module
 * keeps user ids in its own tables and asks here for names; it never joins or imports core tables.
 */
export interface UserDirectory {
  /**
   * Profiles by id, deleted accounts included (flagged `deleted`); an id that never was an account,
   * or is not a UUID, is simply absent. Any number of ids, read in batches of `USER_BATCH`.
   */
  profiles(ids: Iterable<string>): Promise<Map<string, UserProfile>>
  /**
   * `profiles` with each account's e-mail address (a deleted account's is its erased placeholder),
   * for views shown only to holders of an administrative permission — who may read accounts anyway —
   * such as who scanned a batch. Check that permission before calling; never put the address in a
   * view other users see. To write to someone, use `ctx.mail` with their id instead.
   */
  contacts(ids: Iterable<string>): Promise<Map<string, UserContact>>
  /**
   * Active (not deleted, not disabled) accounts whose name or username contains `query`, best match
   * first (exact, then starting with it, then a word starting with it, then the rest; by name within
   * each); at most `limit` (default 20, capped at 50), after skipping `offset` (at most USER_SEARCH_MAX_OFFSET).
   */
  search(query: string, options?: { limit?: number; offset?: number }): Promise<UserProfile[]>
  /**
   * Active accounts by username (case-insensitive; usernames are stored lower-case), keyed by the
   * lower-cased username: how a module resolves `@username` mentions. At most USER_BATCH names are read.
   */
  byUsernames(names: Iterable<string>): Promise<Map<string, UserProfile>>
  /**
   * The active account with exactly this e-mail address (case-insensitive), or `null`: for "find a
   * person by their address" where the searcher already knows it. The address is never returned.
   */
  byEmail(email: string): Promise<UserProfile | null>
  /** Whether an account with this id exists and is not deleted (a disabled account still exists). */
  exists(id: string): Promise<boolean>
  /** The ids among these of accounts that exist (not deleted). */
  existing(ids: Iterable<string>): Promise<Set<string>>
  /** The ids among these of active accounts: not deleted and not disabled. */
  active(ids: Iterable<string>): Promise<Set<string>>
}

/** Ids per query: one `= any($1)` array parameter each. */
export const USER_BATCH = 500
export const USER_SEARCH_MAX = 50
/** How deep a search pages: past it, a better query is the answer. */
export const USER_SEARCH_MAX_OFFSET = 1000
const USER_SEARCH_DEFAULT = 20
/** A longer query cannot match a name (`users.name` is at most this long through the API). */
const SEARCH_QUERY_MAX = 200

export function createUserDirectory(repository: UserDirectoryRepository): UserDirectory {
  return {
    async profiles(ids) {
      const profiles = new Map<string, UserProfile>()
      for (const batch of batches(ids)) for (const row of await repository.profiles(batch)) profiles.set(row.id, toProfile(row))
      return profiles
    },

    async contacts(ids) {
      const contacts = new Map<string, UserContact>()
      for (const batch of batches(ids)) for (const row of await repository.contacts(batch)) contacts.set(row.id, { ...toProfile(row), email: row.email })
      return contacts
    },

    async search(query, options = {}) {
      const text = query.trim()
      if (text === '' || text.length > SEARCH_QUERY_MAX) return []
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? USER_SEARCH_DEFAULT), 1), USER_SEARCH_MAX)
      const offset = Math.min(Math.max(Math.trunc(options.offset ?? 0), 0), USER_SEARCH_MAX_OFFSET)
      return (await repository.search(text, limit, offset)).map(toProfile)
    },

    async byUsernames(names) {
      const wanted = [...new Set([...names].map((name) => name.toLowerCase()))].filter((name) => name.length > 0 && name.length <= SEARCH_QUERY_MAX).slice(0, USER_BATCH)
      const found = new Map<string, UserProfile>()
      if (wanted.length === 0) return found
      for (const row of await repository.byUsernames(wanted)) if (row.username) found.set(row.username.toLowerCase(), toProfile(row))
      return found
    },

    async byEmail(email) {
      const address = email.trim().toLowerCase()
      if (address === '' || address.length > 320) return null
      const row = await repository.byEmail(address)
      return row ? toProfile(row) : null
    },

    async exists(id) {
      if (!isUuid(id)) return false
      return (await repository.existing([id])).length > 0
    },

    async existing(ids) {
      const found = new Set<string>()
      for (const batch of batches(ids)) for (const id of await repository.existing(batch)) found.add(id)
      return found
    },

    async active(ids) {
      const found = new Set<string>()
      for (const batch of batches(ids)) for (const id of await repository.active(batch)) found.add(id)
      return found
    },
  }
}

/** Distinct, well-formed ids, in batches of USER_BATCH (a malformed one would fail the uuid[] cast). */
function batches(ids: Iterable<string>): string[][] {
  const unique = [...new Set(ids)].filter(isUuid).map((id) => id.toLowerCase())
  const out: string[][] = []
  for (let i = 0; i < unique.length; i += USER_BATCH) out.push(unique.slice(i, i + USER_BATCH))
  return out
}

function toProfile(row: PublicUserRow): UserProfile {
  return { id: row.id, username: row.username, name: row.name, avatarUrl: row.avatarUrl, deleted: row.deletedAt !== null }
}
