import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import Type, { type TObject } from 'typebox'
import type { PermissionRegistry } from '../../access/permissions.js'
import { requireActor, requirePermission } from '../../access/require-permission.js'
import type { ResourceOperation, ResourceSpec } from './resource.js'
import type { Precondition, ResourceService } from './resource.service.js'
import type { Row } from './types.js'

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ pattern: '^(W/)?"\\d+"$', maxLength: 16, description: 'ETag of the version being edited, e.g. "3"' })),
})
export const VersionField = Type.Optional(
  Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version being edited; a stale one gets 409' }),
)

/** What every route group of a resource shares: its spec, service, guards and OpenAPI basics. */
export interface ResourceRouteContext<R extends Row, Rec extends { version: number }> {
  spec: ResourceSpec<R, Rec>
  service: ResourceService<Rec>
  /** The record schema, with a description when it has none of its own. */
  record: TObject
  /** `spec.name`, lower case, for summaries. */
  noun: string
  tags: string[]
  security: { bearerAuth: string[] }[]
  read: preHandlerAsyncHookHandler[]
  write: preHandlerAsyncHookHandler[]
  serves(operation: ResourceOperation): boolean
}

export function routeContext<R extends Row, Rec extends { version: number }>(
  spec: ResourceSpec<R, Rec>,
  service: ResourceService<Rec>,
  registry: PermissionRegistry,
): ResourceRouteContext<R, Rec> {
  const guard = (key: string | undefined): preHandlerAsyncHookHandler[] =>
    key ? [requirePermission(registry, key)] : [async (request) => void requireActor(request)]
  const noun = spec.name.toLowerCase()
  return {
    spec,
    service,
    record: { ...spec.schemas.record, description: (spec.schemas.record as { description?: string }).description ?? `The ${noun}` } as TObject,
    noun,
    tags: [spec.tag],
    security: [{ bearerAuth: [] }],
    read: guard(spec.permissions?.read),
    write: guard(spec.permissions?.write),
    serves: (operation) => spec.operations === undefined || spec.operations.includes(operation),
  }
}

export const idOf = (request: FastifyRequest): string => (request.params as { id: string }).id

/** The version a client edits: `version` in the body (stale: 409) or `If-Match` (stale: 412). */
export function precondition(request: FastifyRequest, version: number | undefined): Precondition {
  const header = request.headers['if-match']
  const ifMatch = typeof header === 'string' ? Number(/"(\d+)"/.exec(header)?.[1]) : undefined
  return { ...(ifMatch !== undefined && Number.isInteger(ifMatch) ? { ifMatch } : {}), ...(version !== undefined ? { version } : {}) }
}

export function withETag<Rec extends { version: number }>(reply: FastifyReply, record: Rec): Rec {
  reply.header('etag', `"${record.version}"`)
  return record
}
