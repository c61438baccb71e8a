import type { Role } from '../access/roles.js'
import type { UserRow } from './db/schema.js'

/** What clients see of an account: never the password hash. */
export interface UserView {
  id: string
  email: string
  username: string | null
  name: string
  avatarUrl: string | null
  role: Role
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
    // The column only ever holds one of ROLES: every write goes through a Role-typed input.
    role: row.role as Role,
    disabled: row.disabled,
    emailVerified: row.emailVerifiedAt !== null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
