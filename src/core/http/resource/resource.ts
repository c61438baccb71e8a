import type { TObject, TSchema } from 'typebox'
import type { AccessRule } from '../../access/access-rule.js'
import type { Actor } from '../../access/actor.js'
import type { Condition, Row } from './types.js'

export interface FilterSpec {
  /** The declared field the filter applies to. */
  field: string
  op: Condition['op']
  /** The query parameter's schema (also its OpenAPI entry). */
  schema: TSchema
}

/** Who may do what: each rule authorizes and, as a scope, restricts the rows in SQL. */
export interface ResourcePolicy {
  read: AccessRule
  update: AccessRule
  delete: AccessRule
  create(actor: Actor, input: Record<string, unknown>): boolean
}

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
  /** Permission keys required on top of the policy. */
  permissions?: { read?: string; write?: string }
  policy: ResourcePolicy
  /** Values to insert: e.g. sets the owner from the actor. */
  prepareCreate?(actor: Actor, input: Record<string, unknown>): Record<string, unknown>
  prepareUpdate?(actor: Actor, input: Record<string, unknown>): Record<string, unknown>
  toRecord(row: R): Rec
}

export function defineResource<R extends Row, Rec>(spec: ResourceSpec<R, Rec>): ResourceSpec<R, Rec> {
  return spec
}
