import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { defineResource, type ResourceSpec } from './resource.js'

/** A child resource: messages of a chat. */
const message = (overrides: Partial<ResourceSpec>): ResourceSpec => ({
  name: 'Message',
  path: '/messages',
  tag: 'chat',
  schemas: {
    record: Type.Object({ id: Type.String(), chatId: Type.String(), body: Type.String(), version: Type.Integer() }),
    create: Type.Object({ chatId: Type.String(), body: Type.String() }),
    update: Type.Object({ body: Type.String() }),
  },
  sorts: ['createdAt'],
  defaultSort: 'createdAt',
  parent: 'chatId',
  operations: ['get', 'update', 'delete'],
  policy: { read: () => true, update: () => true, delete: () => true, create: () => true },
  toRecord: (row) => row,
  ...overrides,
})

describe('defineResource: a child resource (spec.parent)', () => {
  it('accepts a child without create and with the parent id not editable', () => {
    expect(defineResource(message({})).parent).toBe('chatId')
  })

  it('refuses the parent id among the editable fields (a PATCH would move the record to another parent)', () => {
    const update = Type.Object({ body: Type.String(), chatId: Type.String() })
    expect(() => defineResource(message({ schemas: { ...message({}).schemas, update } }))).toThrow(
      'Message: the parent field "chatId" must not be editable',
    )
  })

  it('refuses a registered create (POST /messages would take any chat id), also by default (all operations)', () => {
    expect(() => defineResource(message({ operations: ['get', 'create'] }))).toThrow('a child resource leaves "create" out of its operations')
    expect(() => defineResource(message({ operations: undefined }))).toThrow('a child resource leaves "create" out of its operations')
  })

  it('a resource without a parent may edit any field and register create', () => {
    const update = Type.Object({ body: Type.String(), chatId: Type.String() })
    expect(() => defineResource(message({ parent: undefined, operations: undefined, schemas: { ...message({}).schemas, update } }))).not.toThrow()
  })
})
