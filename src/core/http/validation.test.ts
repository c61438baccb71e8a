import { describe, expect, it } from 'vitest'
import Type, { type TSchema } from 'typebox'
import { requestValidation } from './validation.js'

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; keyword: string }[] | null }
type Compile = (route: { schema: unknown; method: string; url: string; httpPart: string }) => Validate

const Shared = Type.Object({ n: Type.Integer() }, { $id: 'SharedNumber', additionalProperties: false })
const compile = (requestValidation().compilersFactory!.buildValidator as unknown as (schemas: Record<string, unknown>, options: object) => Compile)({ SharedNumber: Shared }, {})

/** Validates `data` (mutated in place, as Fastify does) as `part`; returns it and the verdict. */
function check(part: string, schema: TSchema, data: Record<string, unknown>) {
  const validate = compile({ schema, method: 'POST', url: '/test', httpPart: part })
  return { valid: validate(data), data, errors: validate.errors ?? [] }
}

const Fields = Type.Object(
  {
    count: Type.Optional(Type.Integer()),
    name: Type.Optional(Type.String()),
    flag: Type.Optional(Type.Boolean()),
    codes: Type.Optional(Type.Array(Type.String())),
    size: Type.Optional(Type.Integer({ default: 50 })),
  },
  { additionalProperties: false },
)

describe('request validation by HTTP part', () => {
  it('a body keeps its JSON types: nothing is converted', () => {
    for (const data of [{ count: '10' }, { name: true }, { name: 5 }, { flag: 'true' }, { codes: 'CYL-1' }, { count: null }, { name: null }]) {
      const result = check('body', Fields, { ...data })
      expect(result.valid, JSON.stringify(data)).toBe(false)
      expect(result.data).toEqual({ ...data, size: 50 })
    }
  })

  it('query strings, params and headers are text: numbers, booleans and single values for arrays are converted', () => {
    for (const part of ['querystring', 'params', 'headers']) {
      const result = check(part, Fields, { count: '10', flag: 'true', codes: 'CYL-1' })
      expect(result.valid, part).toBe(true)
      expect(result.data).toEqual({ count: 10, flag: true, codes: ['CYL-1'], size: 50 })
    }
    expect(check('querystring', Fields, { count: 'ten' }).valid).toBe(false)
  })

  it('bodies get declared defaults, keep unknown fields to refuse them and report every error', () => {
    expect(check('body', Fields, {}).data).toEqual({ size: 50 })
    const result = check('body', Fields, { count: 'x', name: 1, other: true })
    expect(result.valid).toBe(false)
    expect(result.data).toHaveProperty('other', true)
    expect(result.errors.map((e) => e.keyword).sort()).toEqual(['additionalProperties', 'type', 'type'])
  })

  it('shared schemas resolve in both', () => {
    const WithRef = Type.Object({ inner: Type.Ref('SharedNumber') })
    expect(check('body', WithRef, { inner: { n: 1 } }).valid).toBe(true)
    expect(check('body', WithRef, { inner: { n: '1' } }).valid).toBe(false)
    expect(check('querystring', WithRef, { inner: { n: '1' } })).toMatchObject({ valid: true, data: { inner: { n: 1 } } })
  })
})
