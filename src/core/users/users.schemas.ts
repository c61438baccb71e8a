import Type from 'typebox'
import { ROLES } from '../access/roles.js'
import { AuditEntry } from '../audit/audit.schemas.js'
import { Email, Ip, MAX_NAME_LENGTH, Password, UserAgent, UserRef, UserView, Username } from '../auth/auth.schemas.js'
import { Page, PaginationQuery, Timestamp, Uuid } from '../http/schemas.js'

const Role = Type.Enum([...ROLES], { description: 'admin, worker or user' })
const Name = Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Display name' })
const AvatarUrl = Type.Union([Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 }), Type.Null()], {
  description: 'http(s) URL of the picture; null removes it',
})
const Disabled = Type.Boolean({ description: 'A disabled account cannot sign in; its sessions end at once' })
const Version = Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version being edited; a stale one gets 409 VERSION_CONFLICT with the current account' })

export const UserListQuery = Type.Object(
  {
    ...PaginationQuery,
    role: Type.Optional(Role),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of the name, e-mail or username (case-insensitive)' })),
    status: Type.Optional(Type.Enum(['active', 'disabled'], { description: 'Only accounts that may sign in (`active`) or disabled ones' })),
    verified: Type.Optional(Type.Boolean({ description: 'Only accounts whose e-mail address is verified (`true`) or not (`false`)' })),
  },
  { additionalProperties: false },
)

export const UserPage = Page(UserRef, 'UserPage', 'A page of accounts, oldest first, and the cursor of the next')

export const CreateUserBody = Type.Object({ email: Email, password: Password, name: Name, username: Type.Optional(Username), role: Role }, { additionalProperties: false })

export const ReplaceUserBody = Type.Object(
  { name: Name, avatarUrl: AvatarUrl, role: Type.Optional(Role), disabled: Type.Optional(Disabled), version: Version },
  { additionalProperties: false, description: 'Every field the caller may edit: name and avatarUrl; administrators also role and disabled' },
)

export const PatchUserBody = Type.Object(
  { name: Type.Optional(Name), avatarUrl: Type.Optional(AvatarUrl), role: Type.Optional(Role), disabled: Type.Optional(Disabled), version: Version },
  { additionalProperties: false, description: 'At least one field to change, with the version being edited' },
)

const nullableTimestamp = Type.Union([Timestamp, Type.Null()])

const ExportedAccount = Type.Object({ ...UserView.properties, emailVerifiedAt: nullableTimestamp }, { title: 'ExportedAccount' })

const ExportedSession = Type.Object(
  {
    id: Uuid,
    ip: Type.Union([Ip, Type.Null()]),
    userAgent: Type.Union([UserAgent, Type.Null()]),
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
    expiresAt: Timestamp,
    revokedAt: nullableTimestamp,
    revokedReason: Type.Union([Type.String({ maxLength: 64, description: 'Why it ended, e.g. `revoked_by_user`, `password_changed`' }), Type.Null()]),
  },
  { title: 'ExportedSession' },
)

export const UserExport = Type.Object(
  {
    exportedAt: Timestamp,
    account: ExportedAccount,
    sessions: Type.Array(ExportedSession, { description: 'Every session, live or ended; never token material' }),
    auditLog: Type.Array(AuditEntry, { description: 'Entries where the user acted or was acted upon; others’ addresses are withheld' }),
    modules: Type.Record(Type.String(), Type.Unknown(), { description: 'What each part of the service (such as `cylinders`) holds about the user, by its name' }),
  },
  { title: 'UserExport', description: 'Everything stored about the account (served as an attachment)' },
)
