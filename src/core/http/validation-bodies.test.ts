import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { bodyChecker, validatorLeavingBodies } from './validation.js'

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null }
const instance = { getSchemas: () => ({}) } as unknown as Parameters<typeof validatorLeavingBodies>[0]
const Body = Type.Object({ n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })

describe('validatorLeavingBodies', () => {
  const compile = validatorLeavingBodies(instance, ['multipart/form-data'])
  const validator = (httpPart: string, contentType?: string) => compile({ schema: httpPart === 'params' ? Type.Object({ id: Type.Integer() }) : Body, method: 'POST', url: '/x', httpPart, ...(contentType ? { contentType } : {}) }) as Validate

  it('leaves the bodies of the named media types to the handler', () => {
    expect(validator('body', 'multipart/form-data')(null)).toBe(true)
  })

  it('validates other bodies strictly and other parts with coercion, as the app does', () => {
    const json = validator('body', 'application/json')
    expect(json({ n: 1 })).toBe(true)
    expect(json({ n: '1' })).toBe(false)
    expect(json(null)).toBe(false)
    expect(validator('body')({ n: 2, other: true })).toBe(false)
    const params = validator('params')
    const data = { id: '7' }
    expect(params(data)).toBe(true)
    expect(data).toEqual({ id: 7 })
  })
})

describe('bodyChecker', () => {
  it('checks a value as a JSON body, naming each refused field as VALIDATION_FAILED does', () => {
    const check = bodyChecker(Type.Object({ n: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])), kind: Type.Optional(Type.Enum(['a', 'b'])) }, { additionalProperties: false }))
    expect(check({ n: 3, kind: 'a' })).toBeNull()
    expect(check({ n: null })).toBeNull()
    expect(check({ n: 0, kind: 'c', extra: 1 })).toEqual({ n: 'must be >= 1', kind: 'must be "a" or "b"', extra: 'is not allowed' })
    expect(check({ n: '3' })).toEqual({ n: 'must be integer or null' })
  })
})
