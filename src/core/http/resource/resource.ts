import type { TObject, TSchema } from 'typebox'
import type { Scope } from '../../access/access-rule.js'
import type { Actor } from '../../access/actor.js'
import type { FilterOp, Row } from './types.js'

export interface FilterSpec {
  /** The declared field the filter applies to. */
  field: string
  op: FilterOp
  /** The query parameter's schema (also its OpenAPI entry). */
  schema: TSchema
}

/**
 * A relation the repository declares in SQL (`relations` of `createResourceRepository`), holding
 * for `value`: `relation('member', actor.id)` keeps the rows where the repository's `member`
 * condition, given the actor's id, is true (e.g. `exists (select 1 from chat_members …)`).
 */
export class Relation {
  constructor(
    readonly name: string,
    readonly value: string,
  ) {}
}

export const relation = (name: string, value: string): Relation => new Relation(name, value)

/** Fields that must equal values (`{ ownerId: actor.id }`), or a relation; a list: all of them. */
export type ResourceScope = Scope | Relation
export type ResourceDecision = boolean | ResourceScope | readonly ResourceScope[]
/** `true`: every record, `false`: none (403), a scope: the records it matches, in SQL. */
export type ResourceRule = (actor: Actor) => ResourceDecision

/**
 * Who may do what. `read` scopes every list, get, update and delete: a record outside it is 404
 * (no existence leak) and never listed. `update` and `delete` narrow it: a record the actor may
 * read but not change is 403 (a viewer's PATCH); `false` is 403 for every record.
 */
export interface ResourcePolicy {
  read: ResourceRule
  update: ResourceRule
  delete: ResourceRule
  /** May the actor create this record? May look things up (e.g. membership of the parent). */
  create(actor: Actor, input: Record<string, unknown>): boolean | Promise<boolean>
}

/** The routes `resourceRoutes` registers; all by default. */
export type ResourceOperation = 'list' | 'get' | 'create' | 'replace' | 'update' | 'delete'

/**
 * A validated CRUD resource (seed 001's "[Feature]"): a module declares this, a repository for
 * its table, and gets list/get/create/PUT/PATCH/delete with cursor pagination, declared
 * filters and sorts, optimistic concurrency and access rules.
 */
export interface ResourceSpec<R extends Row = Row, Rec = unknown> {
  /** Singular, for messages: "Note". */
  name: string
  /** Under /api: "/notes". */
  path: string
  tag: string
  schemas: {
    /** What clients read: must include `id` and `version`. */
    record: TObject
    /** The body of POST. */
    create: TObject
    /** Editable fields: PUT requires them all, PATCH any of them. */
    update: TObject
  }
  filters?: Record<string, FilterSpec>
  sorts: readonly string[]
  /** `field` or `-field`. */
  defaultSort: string
  /**
   * Permission keys required on top of the policy: the service checks them first in every method
   * (read: list, get, authorize('read'); write: the others), the routes again for their OpenAPI scopes.
   */
  permissions?: { read?: string; write?: string }
  /**
   * A child resource's parent id field (messages: `chatId`). `defineResource` then refuses it among
   * the `update` schema's fields (a PATCH would move the record to another parent) and refuses a
   * registered `create` (POST would take any parent's id): post through a nested route that calls
   * `parent.authorize(actor, parentId, …)` first.
   */
  parent?: string
  policy: ResourcePolicy
  /** Routes to register (default: all); the module serves the others itself, through the service. */
  operations?: readonly ResourceOperation[]
  /** Values to insert: e.g. sets the owner from the actor. */
  prepareCreate?(actor: Actor, input: Record<string, unknown>): Record<string, unknown>
  prepareUpdate?(actor: Actor, input: Record<string, unknown>): Record<string, unknown>
  toRecord(row: R): Rec
}

export function defineResource<R extends Row, Rec>(spec: ResourceSpec<R, Rec>): ResourceSpec<R, Rec> {
  if (spec.parent !== undefined) {
    if (spec.parent in spec.schemas.update.properties)
      throw new Error(`${spec.name}: the parent field "${spec.parent}" must not be editable (a PATCH would move the record to another parent)`)
    if (spec.operations === undefined || spec.operations.includes('create'))
      throw new Error(`${spec.name}: a child resource leaves "create" out of its operations; post through a nested route that authorizes the parent first`)
  }
  return spec
}
