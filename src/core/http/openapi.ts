import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ErrorResponse } from './schemas.js'

const DOCS_PREFIX = '/docs'

/**
 * OpenAPI 3.1 generated from the routes' TypeBox schemas, served at /openapi.json, and an
 * interactive reference at /docs. Routes without an operationId get one from method and path.
 */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(ErrorResponse)
  const routeTags = new Set<string>()
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX) || route.schema?.hide) return
    route.schema ??= {}
    const schema = route.schema as { operationId?: string; tags?: string[] }
    for (const tag of schema.tags ?? []) routeTags.add(tag)
    const method = Array.isArray(route.method) ? route.method[0] : route.method
    schema.operationId ??= operationId(String(method), route.url)
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Plinth API',
        version,
        description: 'Platform core, chat, cylinder tracking and ColorBook Engine. Errors always have the shape of ErrorResponse.',
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
        contact: { name: 'Plinth maintainers', url: 'https://github.com/plinth-backend/plinth' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [{ name: 'platform', description: 'Health, readiness, metrics and the API contract' }],
    },
    // Every tag a route uses is listed globally, modules' included.
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject
      const tags: { name: string; description?: string }[] = document.tags ?? []
      const listed = new Set(tags.map((tag) => tag.name))
      const added = [...routeTags].filter((name) => !listed.has(name)).sort().map((name) => ({ name, description: `The ${name} API` }))
      return { ...document, tags: [...tags, ...added] }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { deepLinking: true }, staticCSP: true })
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['platform'],
        summary: 'This OpenAPI 3.1 document',
        description: 'Generated from the TypeBox schemas every route declares.',
        response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.1 document' } },
      },
    },
    async () => app.swagger(),
  )
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
