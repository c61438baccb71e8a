import { afterEach, describe, expect, it } from 'vitest'
import { useTestApp } from './app.js'
import { documentPath, takeContractGaps } from './response-contract.js'

/** The suite's response contract check (test/setup-contract.ts) catches an undeclared status, and only that. */
const app = useTestApp({
  setup: (instance) => {
    instance.register(async (scope) => {
      // Encapsulated, as the app's route plugins are: the hook must reach it.
      scope.get(
        '/contract-fixture/:id',
        { schema: { response: { 200: { type: 'object', description: 'Fixture' } } } },
        // Typed as the route's FastifyReply would refuse 418: the point is a status it does not declare.
        async (request, reply) => ((request.params as { id: string }).id === 'teapot' ? (reply as { code: (status: number) => typeof reply }).code(418) : reply).send({}),
      )
      scope.get('/contract-fixture-hidden', { schema: { hide: true } }, async (_request, reply) => reply.code(418).send({}))
    })
  },
})

// This file's gaps are made on purpose: taken here, before setup-contract's afterEach looks.
let seen: string[] = []
afterEach(() => {
  seen = takeContractGaps()
})

describe('the response contract check', () => {
  it('records a status the document does not declare for the route', async () => {
    expect((await app().inject({ url: '/contract-fixture/teapot' })).statusCode).toBe(418)
    expect(takeContractGaps()).toEqual([expect.stringMatching(/^GET \/contract-fixture\/\{id\} answered 418, declared: 200, /)])
  })

  it('accepts declared statuses, HEAD as its GET, and ignores hidden routes and unknown URLs', async () => {
    expect((await app().inject({ url: '/contract-fixture/1' })).statusCode).toBe(200)
    expect((await app().inject({ method: 'HEAD', url: '/contract-fixture/1' })).statusCode).toBe(200)
    expect((await app().inject({ url: '/contract-fixture-hidden' })).statusCode).toBe(418)
    expect((await app().inject({ url: '/no-such-route' })).statusCode).toBe(404)
    expect(takeContractGaps()).toEqual([])
    expect(seen).toEqual([])
  })

  it('writes paths as the document does', () => {
    expect(documentPath('/api/users/:id/sessions/:sessionId')).toBe('/api/users/{id}/sessions/{sessionId}')
    expect(documentPath('/files/*')).toBe('/files/{*}')
  })
})
