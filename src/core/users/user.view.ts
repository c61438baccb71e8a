import type { UserRow } from './db/schema.js'

/** What clients see of an account: never the password hash. */
export interface UserView {
  id: string
  email: string
  username: string | null
  name: string
  avatarUrl: string | null
  role: string
  disabled: boolean
  emailVerified: boolean
  version: number
  createdAt: string
  updatedAt: string
}

export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    name: row.name,
    avatarUrl: row.avatarUrl,
    role: row.role,
    disabled: row.disabled,
    emailVerified: row.emailVerifiedAt !== null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
