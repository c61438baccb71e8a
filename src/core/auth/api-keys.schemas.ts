import Type from 'typebox'
import { Timestamp, Uuid } from '../http/schemas.js'
import { MAX_LISTED_KEYS } from './api-keys.service.js'

export const MAX_LABEL_LENGTH = 100
export const MAX_SCOPES = 100

const PermissionKey = Type.String({ pattern: '^[a-z][a-z0-9-]*:[a-z][a-z0-9:-]*$', maxLength: 100, description: 'A permission key, e.g. `cylinders:read`', examples: ['cylinders:read'] })

export const CreateApiKeyBody = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: MAX_LABEL_LENGTH, description: 'What the key is for, e.g. the service using it' }),
    scopes: Type.Array(PermissionKey, {
      minItems: 1,
      maxItems: MAX_SCOPES,
      uniqueItems: true,
      description: "The permissions the key may use: each must be one the owner's role has (403 API_KEY_SCOPE_NOT_HELD otherwise); at each use, only those the owner's role still has count",
    }),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'When the key stops working: in the future, at most 366 days away. Left out: the key never expires (revoke it when done)' })),
  },
  { additionalProperties: false, title: 'CreateApiKey' },
)

const fields = {
  id: Uuid,
  label: Type.String({ maxLength: MAX_LABEL_LENGTH }),
  prefix: Type.String({ maxLength: 12, description: '`plk_` and the first 8 characters of the secret, to recognise the key' }),
  scopes: Type.Array(PermissionKey, { maxItems: MAX_SCOPES }),
  createdAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()], { description: 'Null: never expires' }),
  lastUsedAt: Type.Union([Timestamp, Type.Null()], { description: 'Last use, to within about a minute; null: never used' }),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
}

export const ApiKeyView = Type.Object(fields, { title: 'ApiKey', description: 'An API key, without its secret' })

export const CreatedApiKey = Type.Object(
  { ...fields, secret: Type.String({ pattern: '^plk_[A-Za-z0-9_-]{43}$', maxLength: 47, description: 'The key itself, shown this once: send it as `Authorization: Bearer plk_…`' }) },
  { title: 'CreatedApiKey', description: 'The new key and, this once, its secret' },
)

export const ApiKeyList = Type.Object(
  { items: Type.Array(ApiKeyView, { maxItems: MAX_LISTED_KEYS, description: `Newest first, revoked and expired keys included; at most ${MAX_LISTED_KEYS}` }), nextCursor: Type.Null() },
  { title: 'ApiKeyList', description: 'The API keys of the account, without their secrets' },
)

export const KeyParams = Type.Object({ keyId: Uuid }, { additionalProperties: false })
export const UserKeyParams = Type.Object({ id: Uuid, keyId: Uuid }, { additionalProperties: false })
export const UserParams = Type.Object({ id: Uuid }, { additionalProperties: false })
