import { describe, expect, it } from 'vitest'
import { headerActor, notesModule } from '../../../test/fixtures/notes/index.js'
import { useTestApp } from '../../../test/helpers/app.js'

const app = useTestApp({
  env: { CORS_ORIGINS: 'https://app.example' },
  modules: [notesModule],
  authenticate: headerActor,
})

interface Operation {
  operationId?: string
  responses?: Record<string, unknown>
  parameters?: unknown[]
}

describe('OpenAPI contract', () => {
  it('serves OpenAPI 3.1 with every route, an operationId and declared responses', async () => {
    const response = await app().inject({ url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const doc = response.json<{ openapi: string; paths: Record<string, Record<string, Operation>> }>()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/metrics', '/api/notes', '/api/notes/{id}']))
    const operations = Object.values(doc.paths).flatMap((path) => Object.values(path))
    const ids = operations.map((op) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const op of operations) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z0-9]+$/)
      expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0)
    }
    expect(doc.paths['/api/notes']?.get?.responses).toHaveProperty('400')
  })

  it('serves an interactive reference at /docs', async () => {
    const response = await app().inject({ url: '/docs/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/html')
    expect(response.body).toContain('<title>Plinth API reference</title>')
    // The page loads the one contract, /openapi.json.
    const initializer = await app().inject({ url: '/docs/static/swagger-initializer.js' })
    expect(initializer.statusCode).toBe(200)
    expect(initializer.body).toContain('"url":"/openapi.json"')
  })
})

describe('hardening', () => {
  it('sends security headers', async () => {
    const response = await app().inject({ url: '/health' })
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(response.headers['content-security-policy']).toContain("default-src 'self'")
  })

  it('allows CORS only from CORS_ORIGINS', async () => {
    const allowed = await app().inject({ method: 'OPTIONS', url: '/api/notes', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    expect(allowed.statusCode).toBe(204)
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example')
    const other = await app().inject({ url: '/health', headers: { origin: 'https://evil.example' } })
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })
})
