/**
 * The resource toolkit, as modules use it: declare a resource (`defineResource`), its SQL
 * (`createResourceRepository`, in the module's `*.repository.ts`, with the relations its policy
 * scopes by), then wire `createResourceService` and `resourceRoutes` in the module's manifest.
 * See docs/architecture.md, "The resource toolkit".
 */
export { decodeCursor, decodeRowCursor, encodeCursor, type CursorPosition } from './cursor.js'
export {
  defineResource,
  relation,
  Relation,
  type FilterSpec,
  type ResourceDecision,
  type ResourceOperation,
  type ResourcePolicy,
  type ResourceRule,
  type ResourceScope,
  type ResourceSpec,
} from './resource.js'
export { createResourceRepository, type RelationSql, type ResourceRepositoryOptions } from './resource.repository.js'
export { listQuery, listQuerySchema } from './list-query.js'
export { resourceRoutes } from './resource.routes.js'
export { createResourceService, type ListQuery, type Page, type Precondition, type ResourceService } from './resource.service.js'
export type { Condition, ResourceRepository, Row, SortOrder, UpdateOutcome } from './types.js'
