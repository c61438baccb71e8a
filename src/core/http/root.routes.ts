import type { FastifyInstance } from 'fastify'
import Type from 'typebox'

const links = { docs: '/docs', openapi: '/openapi.json', health: '/health' } as const

const ApiIndex = Type.Object(
  {
    name: Type.Literal('Plinth'),
    version: Type.String({ maxLength: 64, pattern: '^[0-9A-Za-z.+-]+$', description: 'The running Plinth version' }),
    links: Type.Object(
      {
        docs: Type.Literal(links.docs, { description: 'The interactive API reference' }),
        openapi: Type.Literal(links.openapi, { description: 'The OpenAPI 3.1 document' }),
        health: Type.Literal(links.health, { description: 'Liveness probe' }),
      },
      { additionalProperties: false },
    ),
  },
  { title: 'ApiIndex', description: 'What this server is and where to start', additionalProperties: false },
)

/** `GET /`: a starting point for whoever opens the server's address, instead of a bare 404. */
export async function rootRoutes(app: FastifyInstance, options: { version: string }): Promise<void> {
  app.get(
    '/',
    {
      schema: {
        tags: ['platform'],
        operationId: 'getIndex',
        summary: 'Where to start',
        description: 'The server’s name and version, and links to the API reference, the OpenAPI document and the health probe.',
        security: [],
        response: { 200: ApiIndex },
      },
    },
    async () => ({ name: 'Plinth' as const, version: options.version, links }),
  )
}
