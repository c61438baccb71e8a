import Type from 'typebox'
import { Ip, UserAgent } from '../auth/auth.schemas.js'
import { Page, PaginationQuery, Timestamp, Uuid } from '../http/schemas.js'

export const AuditEntry = Type.Object(
  {
    id: Uuid,
    actorId: Type.Union([Uuid, Type.Null()], { description: 'Who acted; null for anonymous attempts' }),
    action: Type.String({ maxLength: 100, pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$', description: 'What happened, `<area>.<event>`, e.g. `user.role_changed`' }),
    targetId: Type.Union([Uuid, Type.Null()], { description: 'The account or record acted upon' }),
    ip: Type.Union([Ip, Type.Null()]),
    userAgent: Type.Union([UserAgent, Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'Action-specific facts, e.g. `{ "from": "user", "to": "worker" }`' }),
    at: Timestamp,
  },
  { title: 'AuditEntry' },
)

export const AuditQuery = Type.Object(
  {
    ...PaginationQuery,
    actorId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only entries by this account' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only this action, e.g. `user.deleted`' })),
    from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only entries at or after this time (ISO-8601)' })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only entries at or before this time (ISO-8601)' })),
  },
  { additionalProperties: false },
)

export const AuditPage = Page(AuditEntry, 'AuditPage', 'A page of audit entries, newest first, and the cursor of the next')
