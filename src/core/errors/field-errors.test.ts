import { describe, expect, it } from 'vitest'
import Type, { type TSchema } from 'typebox'
import { requestValidation } from '../http/validation.js'
import { fieldErrors, type ValidationIssue } from './field-errors.js'

type Validate = ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null }
type Compile = (route: { schema: unknown; method: string; url: string; httpPart: string }) => Validate

const Shared = Type.Object({ a: Type.Integer(), tags: Type.Array(Type.String(), { maxItems: 2 }) }, { $id: 'Shared', additionalProperties: false })
const compile = (requestValidation().compilersFactory!.buildValidator as unknown as (schemas: Record<string, unknown>, options: object) => Compile)({ Shared }, {})

/** The details the API would answer for `data` sent as `part` against `schema`, the app's validators deciding. */
function detailsFor(schema: TSchema, data: unknown, part = 'body'): Record<string, string> {
  const validate = compile({ schema, method: 'POST', url: '/test', httpPart: part })
  expect(validate(data)).toBe(false)
  return fieldErrors(validate.errors!, part)
}

const Item = Type.Object({ id: Type.Integer(), label: Type.Optional(Type.String()) }, { additionalProperties: false })
const Body = Type.Object(
  {
    name: Type.Optional(Type.String()),
    codes: Type.Optional(Type.Array(Type.String({ maxLength: 3 }))),
    owner: Type.Optional(Type.Object({ name: Type.String(), address: Type.Optional(Type.Object({ city: Type.String() }, { additionalProperties: false })) }, { additionalProperties: false })),
    items: Type.Optional(Type.Array(Item)),
    capacity: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()])),
    status: Type.Optional(Type.Union([Type.Literal('available'), Type.Literal('returned')])),
    kind: Type.Optional(Type.Enum(['customer', 'refill_station'])),
    shape: Type.Optional(
      Type.Union([
        Type.Object({ kind: Type.Literal('circle'), radius: Type.Number() }, { additionalProperties: false }),
        Type.Object({ kind: Type.Literal('square'), side: Type.Union([Type.Number(), Type.Null()]) }, { additionalProperties: false }),
      ]),
    ),
    shared: Type.Optional(Type.Union([Type.Ref('Shared'), Type.Null()])),
    extra: Type.Optional(Type.Record(Type.String(), Type.Number())),
  },
  { additionalProperties: false },
)

describe('fieldErrors names the field that was sent', () => {
  it('nested fields and array items by dotted path', () => {
    expect(detailsFor(Body, { codes: ['abc', 'abc', 'abc', 'abcd'] })).toEqual({ 'codes.3': 'must NOT have more than 3 characters' })
    expect(detailsFor(Body, { owner: { name: 5 } })).toEqual({ 'owner.name': 'must be string' })
    expect(detailsFor(Body, { items: [{ id: 1 }, { id: 'x' }] })).toEqual({ 'items.1.id': 'must be integer' })
  })

  it('unknown and missing fields inside nested objects and array items', () => {
    expect(detailsFor(Body, { owner: { name: 'A', address: { city: 'B', zip: '1' } } })).toEqual({ 'owner.address.zip': 'is not allowed' })
    expect(detailsFor(Body, { owner: {} })).toEqual({ 'owner.name': 'is required' })
    expect(detailsFor(Body, { items: [{ id: 1 }, { id: 2, colour: 'red' }] })).toEqual({ 'items.1.colour': 'is not allowed' })
  })

  it('null where a value belongs is a type error on that field, also in arrays', () => {
    expect(detailsFor(Body, { name: null })).toEqual({ name: 'must be string' })
    expect(detailsFor(Body, { owner: null })).toEqual({ owner: 'must be object' })
    expect(detailsFor(Body, { items: [null] })).toEqual({ 'items.0': 'must be object' })
    expect(detailsFor(Body, null)).toEqual({ body: 'must be object' })
  })

  it('a value matching no branch of a union is named once with what it may be', () => {
    expect(detailsFor(Body, { capacity: '10' })).toEqual({ capacity: 'must be number or null' })
    expect(detailsFor(Body, { status: 'lost' })).toEqual({ status: 'must be "available" or "returned"' })
    expect(detailsFor(Body, { status: null })).toEqual({ status: 'must be "available" or "returned"' })
    expect(detailsFor(Body, { kind: 'depot' })).toEqual({ kind: 'must be "customer" or "refill_station"' })
    expect(detailsFor(Body, { shape: null })).toEqual({ shape: 'must be object' })
    expect(detailsFor(Body, { shared: 5 })).toEqual({ shared: 'must be object or null' })
  })

  it('when one branch of a union fits but for some fields, those fields are named', () => {
    expect(detailsFor(Body, { capacity: -1 })).toEqual({ capacity: 'must be > 0' })
    // The circle fits but for `side`; the square would also complain about `radius` and `kind`.
    expect(detailsFor(Body, { shape: { kind: 'circle', radius: 1, side: 2 } })).toEqual({ 'shape.side': 'is not allowed' })
    expect(detailsFor(Body, { shape: { kind: 'square', side: 'big' } })).toEqual({ 'shape.side': 'must be number or null' })
    expect(detailsFor(Body, { shape: { kind: 'triangle' } })).toEqual({ shape: 'matches none of the allowed forms' })
    // A shared schema ($ref) as a branch: its own fields.
    expect(detailsFor(Body, { shared: { a: 'x', tags: ['a', 'b', 'c'], more: 1 } })).toEqual({ 'shared.a': 'must be integer', 'shared.tags': 'must NOT have more than 2 items', 'shared.more': 'is not allowed' })
  })

  it('every refused field at once, unions among them', () => {
    expect(detailsFor(Body, { codes: ['abcd'], capacity: 'x', unknown: 1, items: [{ id: 1, colour: 1 }] })).toEqual({
      unknown: 'is not allowed',
      'codes.0': 'must NOT have more than 3 characters',
      'items.0.colour': 'is not allowed',
      capacity: 'must be number or null',
    })
  })

  it('keys holding "/" or "~" are named as sent', () => {
    expect(detailsFor(Body, { extra: { 'a/b': 'x', 'c~d': 'y' } })).toEqual({ 'extra.a/b': 'must be number', 'extra.c~d': 'must be number' })
  })

  it('query string and path fields carry their part as a prefix', () => {
    const Query = Type.Object({ limit: Type.Optional(Type.Integer({ maximum: 200 })), status: Type.Optional(Type.Enum(['a', 'b'])) }, { additionalProperties: false })
    expect(detailsFor(Query, { limit: '500', status: 'c', other: '1' }, 'querystring')).toEqual({ 'query.limit': 'must be <= 200', 'query.status': 'must be "a" or "b"', 'query.other': 'is not allowed' })
    expect(detailsFor(Type.Object({ id: Type.String({ format: 'uuid' }) }), { id: 'x' }, 'params')).toEqual({ 'params.id': 'must match format "uuid"' })
  })
})
