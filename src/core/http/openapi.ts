import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { permissionCheckedBy } from '../access/require-permission.js'
import { RATE_LIMIT_EXEMPT_PATHS } from '../rate-limit/rate-limit.js'
import { ErrorResponse, errorDescriptions } from './schemas.js'

const DOCS_PREFIX = '/docs'


const BEARER_DESCRIPTION =
  'An access token from /api/auth/login, /api/auth/register or /api/auth/refresh, sent as `Authorization: Bearer <token>`. ' +
  'It is a JWS-signed JWT (RFC 7519) following the JWT best current practices of RFC8725: signed with HS256 only ' +
  '(tokens with `alg: none` or any other algorithm are refused), issuer `plinth` and audience `plinth-api` checked, ' +
  '`exp`, `sub`, `sid` and `role` required. Access tokens are short-lived (15 minutes unless the server is configured otherwise; ' +
  '`expiresIn` says how long): renew them with the single-use refresh token. A signed-out or revoked session is refused at once. ' +
  'The scopes of a requirement name the permissions the route needs (e.g. `audit:read`); no scope means any signed-in account. ' +
  'An API key (`plk_…`, from POST /api/auth/api-keys) is sent the same way: it acts as its owner, only on routes that name a scope, and only with the scopes it was given (401 API_KEY_NOT_ALLOWED elsewhere).'

const rateLimitHeaders = {
  'X-RateLimit-Limit': {
    description: 'Requests allowed per minute for your account (per IP when signed out)',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current minute',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the count starts again',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
}
const retryAfterHeader = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 } },
}
const corsHeader = {
  'Access-Control-Allow-Origin': {
    description: 'Sent only when the request’s Origin is one this server allows (or to every origin when it allows all)',
    schema: { type: 'string', maxLength: 2048, pattern: '^(\\*|[a-z][a-z0-9+.-]*://[^/\\s]+)$' },
  },
}
/** Meant for the API's clients (x-internal: false), wherever it is deployed. */
const server = {
  url: '/',
  description: 'The server this document comes from, whichever environment it runs in (local, staging or production)',
  'x-internal': false,
} as { url: string; description: string }

/** Fastify parses a request body for these methods (a GET body is ignored). */
const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete'])

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } }

interface ResponseObject {
  description?: string
  headers?: Record<string, unknown>
  content?: unknown
}
interface OperationObject {
  operationId?: string
  parameters?: { in?: string }[]
  requestBody?: unknown
  security?: SecurityRequirement[]
  responses?: Record<string, ResponseObject>
}

/**
 * OpenAPI 3.1 generated from the routes' TypeBox schemas, served at /openapi.json, and an
 * interactive reference at /docs. Routes without an operationId get one from method and path.
 */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(ErrorResponse)
  const routeTags = new Set<string>()
  const limitedOperations = new Set<string>()
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX) || route.schema?.hide) return
    route.schema ??= {}
    const schema = route.schema as { operationId?: string; tags?: string[]; security?: SecurityRequirement[] }
    for (const tag of schema.tags ?? []) routeTags.add(tag)
    const method = Array.isArray(route.method) ? route.method[0] : route.method
    schema.operationId ??= operationId(String(method), route.url)
    schema.security = security(schema.security, [route.onRequest, route.preValidation, route.preHandler])
    // The general limit counts every route but the probes: no limit headers and no 429 on those.
    if (!RATE_LIMIT_EXEMPT_PATHS.has(route.url)) limitedOperations.add(schema.operationId)
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Plinth API',
        version,
        description: 'Accounts, sessions, users, files, realtime, and the routes of the enabled modules (such as cylinder tracking). Every error has the shape of ErrorResponse, with a stable code.',
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
        contact: { name: 'Plinth maintainers', url: 'https://github.com/plinth-backend/plinth' },
      },
      servers: [server],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION },
          // ColorBook's POST /api/billing/webhook: Stripe signs the raw body (HMAC-SHA256 with the endpoint's secret).
          stripeSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature', description: 'Stripe’s webhook signature (t=<unix time>,v1=<HMAC-SHA256 of "<t>.<raw body>"> under the endpoint’s signing secret), checked on the raw body; older than 5 minutes is refused.' },
        },
      },
      tags: [{ name: 'platform', description: 'Health, readiness, metrics and the API contract' }],
    },
    // Every tag a route uses is listed globally, modules' included.
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject
      const tags: { name: string; description?: string }[] = document.tags ?? []
      const listed = new Set(tags.map((tag) => tag.name))
      const added = [...routeTags].filter((name) => !listed.has(name)).sort().map((name) => ({ name, description: `The ${name} API` }))
      for (const operations of Object.values(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations as Record<string, OperationObject>)) {
          if (!operation?.responses) continue
          declareCommonResponses(operation, limitedOperations.has(operation.operationId ?? ''), WRITE_METHODS.has(method))
        }
      }
      return { ...document, tags: [...tags, ...added] }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  })
  // `urls` makes the page load /openapi.json (the plugin would otherwise fetch its own copy at /docs/json).
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    theme: { title: 'Plinth API reference' },
    uiConfig: { deepLinking: true, urls: [{ url: '/openapi.json', name: 'Plinth API' }] },
    staticCSP: true,
  })
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['platform'],
        summary: 'This OpenAPI 3.1 document',
        description: 'Every route with its parameters, bodies and responses, as this server checks and answers them.',
        response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.1 document' } },
      },
    },
    async () => app.swagger(),
  )
}

type SecurityRequirement = Record<string, string[]>

/**
 * A route's security as declared, with the permissions its requirePermission hooks check added as
 * scopes of its bearer requirement; a route that declares none is public (`[]`).
 */
function security(declared: SecurityRequirement[] | undefined, hooks: unknown[]): SecurityRequirement[] {
  const permissions = hooks.flat().map(permissionCheckedBy).filter((key): key is string => key !== undefined)
  if (permissions.length === 0) return declared ?? []
  return (declared ?? [{ bearerAuth: [] }]).map((requirement) =>
    requirement.bearerAuth ? { ...requirement, bearerAuth: [...new Set([...requirement.bearerAuth, ...permissions])] } : requirement,
  )
}

/** The responses of an error status added to every operation that can answer it. */
const errorResponse = (status: number, description = errorDescriptions[status]!): ResponseObject => ({ description, content: errorContent })

/**
 * What every operation can answer besides its own responses, from what the server checks for it:
 * - 400 (VALIDATION_FAILED) where it has parameters or a body to validate, and where Fastify reads a
 *   body (POST, PUT, PATCH, DELETE: malformed JSON, even when it takes no body); there also 413 for a
 *   body over BODY_LIMIT_BYTES and 415 for a body that is not JSON;
 * - 401 wherever a security requirement names a scheme (a missing, invalid or expired token, or one of
 *   an ended session), and 403 wherever a requirement names a permission as a scope;
 * - 404 where a path parameter names something that may not exist (or that you may not see);
 * - 429 on rate-limited routes, and the limit headers on every 2xx and 4xx;
 * - 500 and 503 always: the closing guard answers every route 503 SHUTTING_DOWN while the server shuts
 *   down (src/core/http/closing.ts), and the error handler answers 503 when the database or Redis is
 *   unavailable (every API route needs the database); Retry-After on every 429 and 503; the CORS
 *   header wherever headers are listed.
 * A status the route declares itself keeps its own description.
 */
function declareCommonResponses(operation: OperationObject, limited: boolean, parsesBody: boolean): void {
  const responses = operation.responses!
  const parameters = operation.parameters ?? []
  const requirements = operation.security ?? []
  if (parsesBody || parameters.length > 0 || operation.requestBody) responses['400'] ??= errorResponse(400)
  if (requirements.some((requirement) => Object.keys(requirement).length > 0)) responses['401'] ??= errorResponse(401)
  if (requirements.some((requirement) => Object.values(requirement).some((scopes) => scopes.length > 0))) responses['403'] ??= errorResponse(403)
  if (parameters.some((parameter) => parameter.in === 'path')) responses['404'] ??= errorResponse(404)
  // A body that is not JSON, or too large, is refused on every route that reads one, even if it needs no body.
  if (parsesBody) responses['413'] ??= errorResponse(413)
  if (parsesBody) responses['415'] ??= errorResponse(415)
  if (limited) responses['429'] ??= errorResponse(429)
  responses['500'] ??= errorResponse(500)
  responses['503'] ??= errorResponse(503)
  for (const [status, response] of Object.entries(responses)) {
    const headers = { ...response.headers }
    if (limited && /^[24]/.test(status)) Object.assign(headers, rateLimitHeaders)
    if (status === '429' || status === '503') Object.assign(headers, retryAfterHeader)
    if (Object.keys(headers).length > 0) response.headers = { ...headers, ...corsHeader }
  }
}

function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\//, '/')
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^a-zA-Z0-9]+/))
    .filter(Boolean)
  const camel = [method.toLowerCase(), ...words].map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
  return camel.join('')
}
