import { describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import { headerActor, notesModule } from '../../../test/fixtures/notes/index.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { uniqueIp, useExtraApp } from '../../../test/helpers/identity.js'
import { MAX_ERROR_MESSAGE_LENGTH } from './schemas.js'

/**
 * The served document says what the server enforces (what the OWASP ruleset of
 * `npm run openapi:lint` asks for): real response descriptions, bounded strings, arrays and
 * integers, the permission of each route as its bearer scope, the error responses every route can
 * give (400, 401, 403, 404, 413, 415, 429, 500, 503, from what it checks) and the rate-limit
 * headers of every route the general limit counts. test/setup-contract.ts checks, over the whole
 * suite, that every status a route answers is declared.
 */
const modules = [...availableModules, notesModule]
const app = useTestApp({ modules, authenticate: headerActor })
// With the general limit on, as in production, to compare the headers sent with those declared.
const limited = useExtraApp({ modules, authenticate: headerActor, env: { RATE_LIMIT_PER_MINUTE: '1000' } })

type Schema = Record<string, unknown>
interface Response {
  description: string
  headers?: Record<string, unknown>
  content?: Record<string, { schema: Schema }>
}
interface Operation {
  operationId: string
  parameters?: { in: string; name: string }[]
  requestBody?: unknown
  security?: Record<string, string[]>[]
  responses: Record<string, Response>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { description?: string }> }
}

const UNLIMITED = ['/health', '/ready', '/metrics']
/** A full data export lists everything the account has (.spectral.yaml says why). */
const UNBOUNDED_ARRAYS = new Set(['/paths/~1api~1users~1{id}~1export/get/responses/200/content/application~1json/schema/properties/sessions', '/paths/~1api~1users~1{id}~1export/get/responses/200/content/application~1json/schema/properties/auditLog'])

async function document(): Promise<Document> {
  const response = await app().inject({ url: '/openapi.json' })
  expect(response.statusCode).toBe(200)
  return response.json<Document>()
}

function operations(doc: Document): { path: string; method: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, operation]) => ({ path, method, operation })))
}

/** Every schema object in the document, with its JSON pointer. */
function* schemas(node: unknown, pointer = ''): Generator<[string, Schema]> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* schemas(item, `${pointer}/${i}`)
    return
  }
  if (!node || typeof node !== 'object') return
  const object = node as Schema
  if (typeof object.type === 'string' || Array.isArray(object.type)) yield [pointer, object]
  for (const [key, value] of Object.entries(object)) {
    // Examples are values, not schemas.
    if (key === 'examples' || key === 'example') continue
    yield* schemas(value, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`)
  }
}

const isType = (schema: Schema, type: string) => schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type))

describe('the OpenAPI document', () => {
  it('describes every response for its users: no "Default Response"', async () => {
    const doc = await document()
    for (const { path, method, operation } of operations(doc)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.description, `${method} ${path} ${status}`).not.toBe('Default Response')
        expect(response.description.length, `${method} ${path} ${status}`).toBeGreaterThan(3)
      }
    }
    expect(JSON.stringify(doc)).not.toContain('Default Response')
  })

  it('bounds every string (maxLength, enum or const), every array (maxItems) and every integer', async () => {
    const unbounded: string[] = []
    for (const [pointer, schema] of schemas(await document())) {
      if (isType(schema, 'string') && schema.maxLength === undefined && schema.enum === undefined && schema.const === undefined) unbounded.push(`string ${pointer}`)
      if (isType(schema, 'array') && schema.maxItems === undefined && !UNBOUNDED_ARRAYS.has(pointer)) unbounded.push(`array ${pointer}`)
      if (isType(schema, 'integer') && (schema.format === undefined || schema.minimum === undefined || schema.maximum === undefined)) unbounded.push(`integer ${pointer}`)
    }
    expect(unbounded).toEqual([])
  })

  it('names the permission each route needs as the scope of its bearer requirement, so admin routes differ', async () => {
    const doc = await document()
    const declared = new Set(app().platform.access.list().map((permission) => permission.key))
    const scopes = (path: string, method: string) => doc.paths[path]?.[method]?.security
    expect(scopes('/api/admin/audit', 'get')).toEqual([{ bearerAuth: ['audit:read'] }])
    expect(scopes('/api/admin/shipments', 'get')).toEqual([{ bearerAuth: ['cylinders:reports'] }])
    expect(scopes('/api/admin/reports', 'get')).toEqual([{ bearerAuth: ['cylinders:reports'] }])
    expect(scopes('/api/users', 'get')).toEqual([{ bearerAuth: ['users:read'] }])
    // Taken from the requirePermission hooks of the routes, the resource toolkit's included.
    expect(scopes('/api/cylinders/ship', 'post')).toEqual([{ bearerAuth: ['cylinders:move'] }])
    expect(scopes('/api/cylinders/{id}', 'patch')).toEqual([{ bearerAuth: ['cylinders:manage'] }])
    expect(scopes('/api/notes', 'get')).toEqual([{ bearerAuth: ['notes:read'] }])
    expect(scopes('/api/notes/{id}', 'delete')).toEqual([{ bearerAuth: ['notes:write'] }])
    // Any signed-in account; public routes say so with an empty list.
    expect(scopes('/api/auth/me', 'get')).toEqual([{ bearerAuth: [] }])
    expect(scopes('/api/auth/login', 'post')).toEqual([])
    expect(scopes('/health', 'get')).toEqual([])

    const nonAdmin = new Set<string>()
    const admin: { path: string; requirement: string }[] = []
    for (const { path, operation } of operations(doc)) {
      expect(operation.security, path).toBeDefined()
      for (const requirement of operation.security!) {
        for (const [scheme, keys] of Object.entries(requirement)) {
          // Besides the bearer token: the Stripe webhook's signature (colorbook), which names no permission.
          expect(['bearerAuth', 'stripeSignature']).toContain(scheme)
          for (const key of keys) expect(declared, `${path}: ${key}`).toContain(key)
        }
        if (path.includes('/admin')) admin.push({ path, requirement: JSON.stringify(requirement) })
        else nonAdmin.add(JSON.stringify(requirement))
      }
    }
    expect(admin.length).toBeGreaterThan(0)
    for (const { path, requirement } of admin) expect(nonAdmin.has(requirement), `${path} ${requirement}`).toBe(false)
  })

  it('declares 500 everywhere, and 429 with Retry-After and the rate-limit headers wherever the limit counts', async () => {
    const doc = await document()
    for (const { path, method, operation } of operations(doc)) {
      const where = `${method} ${path}`
      const { responses } = operation
      expect(responses['500']?.content?.['application/json']?.schema, where).toEqual({ $ref: '#/components/schemas/ErrorResponse' })
      if (UNLIMITED.includes(path)) {
        expect(responses['429'], where).toBeUndefined()
        for (const response of Object.values(responses)) expect(response.headers ?? {}, where).not.toHaveProperty('X-RateLimit-Limit')
        continue
      }
      expect(responses['429']?.content?.['application/json']?.schema, where).toEqual({ $ref: '#/components/schemas/ErrorResponse' })
      expect(responses['429']?.headers, where).toHaveProperty('Retry-After')
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[24]/.test(status)) continue
        expect(Object.keys(response.headers ?? {}), `${where} ${status}`).toEqual(expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']))
      }
      expect(responses['503']?.headers, where).toHaveProperty('Retry-After')
    }
  })

  it('declares, on every operation, the error statuses its checks can answer, in the error shape', async () => {
    const doc = await document()
    const errorSchema = { $ref: '#/components/schemas/ErrorResponse' }
    for (const { path, method, operation } of operations(doc)) {
      const where = `${method} ${path}`
      const { responses } = operation
      const expected: string[] = ['500', '503']
      const readsBody = ['post', 'put', 'patch', 'delete'].includes(method)
      if (readsBody || (operation.parameters ?? []).length > 0 || operation.requestBody) expected.push('400')
      if (readsBody) expected.push('413', '415')
      if ((operation.security ?? []).some((requirement) => Object.keys(requirement).length > 0)) expected.push('401')
      if ((operation.security ?? []).some((requirement) => Object.values(requirement).some((scopes) => scopes.length > 0))) expected.push('403')
      if ((operation.parameters ?? []).some((parameter) => parameter.in === 'path')) expected.push('404')
      for (const status of expected) {
        expect(responses[status]?.content?.['application/json']?.schema, `${where} ${status}`).toEqual(errorSchema)
        expect(responses[status]?.description.length, `${where} ${status}`).toBeGreaterThan(20)
      }
    }
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort()
    // A probe: no token, no parameters, no limit; 503 while the server shuts down.
    expect(statuses('/health', 'get')).toEqual(['200', '500', '503'])
    // A permission and no parameters: 401 and 403 but no 400; an id in the path: 404.
    expect(statuses('/api/admin/inventory', 'get')).toEqual(expect.arrayContaining(['401', '403']))
    expect(statuses('/api/admin/inventory', 'get')).not.toContain('400')
    expect(statuses('/api/notes/{id}', 'get')).toEqual(expect.arrayContaining(['400', '401', '403', '404']))
    // Any signed-in account: 401, no 403 unless the route declares one.
    expect(statuses('/api/auth/me', 'get')).toEqual(expect.arrayContaining(['401']))
    expect(statuses('/api/auth/me', 'get')).not.toContain('403')
    // A body is read (and can be too large) even where none is expected.
    expect(statuses('/api/auth/logout', 'post')).toEqual(expect.arrayContaining(['400', '413', '415']))
    // The descriptions name the catalog codes a client can meet.
    const responses = doc.paths['/api/admin/inventory']!.get!.responses
    expect(responses['401']!.description).toContain('TOKEN_EXPIRED')
    expect(responses['403']!.description).toContain('FORBIDDEN')
    expect(responses['503']!.description).toEqual(expect.stringContaining('SHUTTING_DOWN'))
    expect(responses['503']!.description).toContain('DATABASE_UNAVAILABLE')
  })

  it('notes RFC8725 on the JWT bearer scheme', async () => {
    const { description } = (await document()).components.securitySchemes.bearerAuth!
    expect(description).toContain('RFC8725')
    expect(description).toContain('HS256')
  })

  it('declares the limit headers exactly where the server sends them', async () => {
    const ip = uniqueIp()
    for (const url of UNLIMITED) {
      const response = await limited().inject({ url, remoteAddress: ip })
      expect(response.headers['x-ratelimit-limit'], url).toBeUndefined()
    }
    for (const url of ['/openapi.json', '/api/auth/me', '/api/no-such-route']) {
      const response = await limited().inject({ url, remoteAddress: ip })
      expect(response.headers['x-ratelimit-limit'], url).toBe('1000')
      expect(response.headers['x-ratelimit-remaining'], url).toBeDefined()
      expect(response.headers['x-ratelimit-reset'], url).toBeDefined()
    }
  })
})

describe('error messages', () => {
  it('are cut to the declared maxLength, whatever they quote', async () => {
    const response = await app().inject({ url: `/api/${'x'.repeat(6000)}` })
    expect(response.statusCode).toBe(404)
    const { message } = response.json<{ error: { message: string } }>().error
    expect(message.length).toBe(MAX_ERROR_MESSAGE_LENGTH)
    expect(message.startsWith('No route matches GET /api/xxx')).toBe(true)
    expect(message.endsWith('…')).toBe(true)
  })
})
