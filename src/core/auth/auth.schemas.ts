import Type from 'typebox'
import { Timestamp, Uuid } from '../http/schemas.js'

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'E-mail address (case-insensitive)' })
/** Length and commonness are checked by the password policy, which explains its refusals. */
export const Password = Type.String({ minLength: 1, maxLength: 1024, description: '8–128 characters, not a common password' })
export const Username = Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', description: '3–32 letters, digits, "_", "." or "-"; case-insensitive' })

export const UserView = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    username: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    avatarUrl: Type.Union([Type.String(), Type.Null()]),
    role: Type.Enum(['admin', 'worker', 'user']),
    disabled: Type.Boolean(),
    emailVerified: Type.Boolean(),
    version: Type.Integer(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'User', title: 'User' },
)

/** Routes answer with the registered `User` schema by reference. */
export const UserRef = Type.Ref('User')

const pairFields = {
  accessToken: Type.String({ description: 'JWT for `Authorization: Bearer`' }),
  refreshToken: Type.String({ description: 'Opaque, single use: exchange it at /api/auth/refresh' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
}

export const TokenPair = Type.Object(pairFields, { title: 'TokenPair' })
export const SignedIn = Type.Object({ user: Type.Ref('User'), ...pairFields }, { title: 'SignedIn' })

export const RegisterBody = Type.Object(
  { email: Email, password: Password, name: Type.String({ minLength: 1, maxLength: 100 }), username: Type.Optional(Username) },
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
export const Accepted = Type.Object({ status: Type.Literal('accepted') }, { title: 'Accepted' })

export const SessionView = Type.Object(
  {
    id: Uuid,
    userAgent: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
    expiresAt: Timestamp,
    current: Type.Boolean({ description: 'The session of the token making this request' }),
  },
  { title: 'Session' },
)
export const SessionList = Type.Object({ items: Type.Array(SessionView), nextCursor: Type.Null() }, { title: 'SessionList' })
export const Revoked = Type.Object({ revoked: Type.Integer({ description: 'Sessions ended' }) }, { title: 'Revoked' })
