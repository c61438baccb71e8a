import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { CHANGE_OPS, SYNC_ENTITIES } from './domain.js'
import { PULL_DEFAULT_LIMIT, PULL_MAX_LIMIT, PUSH_MAX_MUTATIONS } from './sync.service.js'

const Version = Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'An entity version' })
const Data = (description: string) => Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 100, description })

export const ChangesQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `cursor` of your last pull; none: from the beginning (one change per entity)' })),
    limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: PULL_MAX_LIMIT, default: PULL_DEFAULT_LIMIT, description: `Changes per answer (default ${PULL_DEFAULT_LIMIT}, max ${PULL_MAX_LIMIT})` })),
  },
  { additionalProperties: false },
)

export const SyncChange = Type.Object(
  {
    entity: Type.Enum(SYNC_ENTITIES, { description: 'What changed' }),
    entityId: Uuid,
    projectId: Uuid,
    op: Type.Enum(CHANGE_OPS, { description: 'create, update, or delete (a tombstone: the entity is gone, or no longer visible to you)' }),
    version: Version,
    data: Type.Union([Data('The entity as it is now (the REST view; a version without its snapshot)'), Type.Null()], { description: 'The entity now, or null for a tombstone' }),
    at: Timestamp,
  },
  { title: 'ColorbookSyncChange', description: 'One entity’s change, carrying its current data' },
)

export const ChangesPage = Type.Object(
  {
    changes: Type.Array(SyncChange, { maxItems: PULL_MAX_LIMIT, description: 'In log order, one per entity' }),
    cursor: Type.String({ maxLength: 200, description: 'Always set: pass it as `since` next time' }),
    hasMore: Type.Boolean({ description: 'true: more changes are ready now; pull again at once' }),
  },
  { title: 'ColorbookSyncChanges', description: 'The changes after `since` and where to continue' },
)

export const Mutation = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, description: 'The device’s id for this mutation (a UUID is best): applied at most once per account' }),
    entity: Type.Enum(['project', 'story', 'image', 'drawing', 'character', 'style'] as const, { description: 'What to change (`style`: a style preset)' }),
    entityId: Uuid,
    op: Type.Enum(CHANGE_OPS, { description: 'create (entityId: the new id), update (data: the fields to change), delete' }),
    baseVersion: Type.Optional(Version),
    data: Type.Optional(Data('create: the REST create body (children add `projectId`); update: the fields to change, as PATCH')),
  },
  { additionalProperties: false, description: 'One offline change' },
)

export const PushBody = Type.Object(
  { mutations: Type.Array(Mutation, { minItems: 1, maxItems: PUSH_MAX_MUTATIONS, description: `At most ${PUSH_MAX_MUTATIONS}, applied in order` }) },
  { additionalProperties: false },
)

export const MutationResult = Type.Object(
  {
    id: Type.String({ maxLength: 100, description: 'The mutation’s id' }),
    status: Type.Enum(['applied', 'conflict', 'error'] as const, { description: 'applied, conflict (nothing changed; see `server`) or error (nothing changed; see `code`)' }),
    version: Type.Optional(Version),
    server: Type.Optional(Type.Union([Data('The server’s current copy'), Type.Null()], { description: 'conflict: the server’s copy' })),
    code: Type.Optional(Type.String({ maxLength: 64, description: 'error: the error code, as the REST route would answer' })),
    message: Type.Optional(Type.String({ maxLength: 4000, description: 'error: what went wrong' })),
    details: Type.Optional(Data('error: per-field information')),
  },
  { title: 'ColorbookSyncResult', description: 'What became of one mutation' },
)

export const PushResult = Type.Object(
  { results: Type.Array(MutationResult, { maxItems: PUSH_MAX_MUTATIONS, description: 'One per mutation, in order' }) },
  { title: 'ColorbookSyncPush', description: 'One result per mutation' },
)
