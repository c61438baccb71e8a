import { captureLogs } from '../../../test/helpers/logs.js'
import { describe, expect, it } from 'vitest'
import Type from 'typebox'
import { useTestApp } from '../../../test/helpers/app.js'

const { stream: logStream, lines: logLines } = captureLogs()

const app = useTestApp({
  env: { LOG_LEVEL: 'info', BODY_LIMIT_BYTES: '2048' },
  logStream,
  setup: (instance) => {
    instance.post('/echo', { schema: { body: Type.Object({ name: Type.String({ minLength: 2 }), age: Type.Integer() }, { additionalProperties: false }) } }, async (request) => request.body)
    instance.get('/explode', async () => {
      throw new Error('database password is hunter2')
    })
  },
})

describe('error responses', () => {
  it('unknown route → 404 NOT_FOUND in the error shape', async () => {
    const response = await app().inject({ url: '/api/does-not-exist' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route matches GET /api/does-not-exist.', details: {} } })
  })

  it('known path, wrong method → 405 with Allow', async () => {
    const response = await app().inject({ method: 'PATCH', url: '/health' })
    expect(response.statusCode).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD')
    expect(response.json().error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', details: { allowed: ['GET', 'HEAD'] } })
  })

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const response = await app().inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"name": ' })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('MALFORMED_JSON')
  })

  it('schema violation → 400 VALIDATION_FAILED with details per field', async () => {
    const response = await app().inject({ method: 'POST', url: '/echo', payload: { name: 'x', extra: 1 } })
    expect(response.statusCode).toBe(400)
    expect(response.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { name: 'must NOT have fewer than 2 characters', age: 'is required', extra: 'is not allowed' },
    })
  })

  it('unsupported media type → 415', async () => {
    const response = await app().inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
    expect(response.statusCode).toBe(415)
    expect(response.json().error).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Content-Type application/xml is not accepted here; send application/json.',
      details: { contentType: 'application/xml', accepted: ['application/json'] },
    })
  })

  it('body over BODY_LIMIT_BYTES → 413', async () => {
    const response = await app().inject({ method: 'POST', url: '/echo', payload: { name: 'x'.repeat(4096), age: 1 } })
    expect(response.statusCode).toBe(413)
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('unexpected exception → 500 with a generic message; the cause is logged with the request id', async () => {
    const response = await app().inject({ url: '/explode', headers: { 'x-request-id': 'trace-500' } })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: 'An unexpected error occurred.', details: {} } })
    expect(response.body).not.toContain('hunter2')
    const logged = logLines.map((line) => JSON.parse(line) as { reqId?: string; err?: { message: string } }).find((entry) => entry.err)
    expect(logged).toMatchObject({ reqId: 'trace-500', err: { message: 'database password is hunter2' } })
  })
})
