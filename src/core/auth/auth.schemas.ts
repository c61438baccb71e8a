import Type from 'typebox'
import { Timestamp, Uuid } from '../http/schemas.js'

/** Display names, as sign-up and account edits accept them. */
export const MAX_NAME_LENGTH = 100
/** Stored as sent, cut to this length (request-meta.ts). */
export const UserAgent = Type.String({ maxLength: 512, description: 'The User-Agent header, cut to 512 characters' })
export const Ip = Type.String({ maxLength: 64, description: 'IPv4 or IPv6 address' })

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'E-mail address (case-insensitive)' })
/** Length and commonness are checked by the password policy, which explains its refusals. */
export const Password = Type.String({ minLength: 1, maxLength: 1024, description: '8–128 characters, not a common password' })
export const Username = Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', maxLength: 32, description: '3–32 letters, digits, "_", "." or "-"; case-insensitive' })

export const UserView = Type.Object(
  {
    id: Uuid,
    email: Type.String({ format: 'email', maxLength: 254 }),
    username: Type.Union([Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', maxLength: 32 }), Type.Null()]),
    name: Type.String({ maxLength: MAX_NAME_LENGTH }),
    avatarUrl: Type.Union([Type.String({ format: 'uri', maxLength: 2048 }), Type.Null()]),
    role: Type.Enum(['admin', 'worker', 'user']),
    disabled: Type.Boolean(),
    emailVerified: Type.Boolean(),
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Goes up by one with each change' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'User', title: 'User', description: 'The account' },
)

/** Routes answer with the registered `User` schema by reference. */
export const UserRef = Type.Ref('User')

const pairFields = {
  accessToken: Type.String({ pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', maxLength: 2048, description: 'JWT for `Authorization: Bearer`' }),
  refreshToken: Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 256, description: 'Opaque, single use: exchange it at /api/auth/refresh' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ format: 'int32', minimum: 30, maximum: 86_400, description: 'Seconds until the access token expires' }),
}

export const TokenPair = Type.Object(pairFields, { title: 'TokenPair', description: 'A new access token and the refresh token that replaces the one sent' })
export const SignedIn = Type.Object({ user: Type.Ref('User'), ...pairFields }, { title: 'SignedIn', description: 'Signed in: the account and its first tokens' })

export const RegisterBody = Type.Object(
  { email: Email, password: Password, name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }), username: Type.Optional(Username) },
  { additionalProperties: false },
)
export const LoginBody = Type.Object(
  { email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })), username: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false, description: 'Either `email` or `username`, with `password`' },
)
export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false })
export const ChangePasswordBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false })
export const TokenBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false })
export const ForgotBody = Type.Object({ email: Email }, { additionalProperties: false })
export const ResetBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }), password: Password }, { additionalProperties: false })
export const Accepted = Type.Object({ status: Type.Literal('accepted') }, { title: 'Accepted', description: 'Accepted: the e-mail is on its way (if the account exists)' })

/** GET /api/auth/sessions lists at most this many sessions, the most recently used. */
export const MAX_LISTED_SESSIONS = 100

export const SessionView = Type.Object(
  {
    id: Uuid,
    userAgent: Type.Union([UserAgent, Type.Null()]),
    ip: Type.Union([Ip, Type.Null()]),
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
    expiresAt: Timestamp,
    current: Type.Boolean({ description: 'The session of the token making this request' }),
  },
  { title: 'Session' },
)
export const SessionList = Type.Object(
  { items: Type.Array(SessionView, { maxItems: MAX_LISTED_SESSIONS, description: `At most ${MAX_LISTED_SESSIONS}, the most recently used` }), nextCursor: Type.Null() },
  { title: 'SessionList', description: 'Your live sessions, most recently used first' },
)
export const Revoked = Type.Object(
  { revoked: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Sessions ended' }) },
  { title: 'Revoked', description: 'How many sessions were ended' },
)
