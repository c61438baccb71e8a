import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { bearer, errorResponses } from '../http/schemas.js'
import { AuditPage, AuditQuery } from './audit.schemas.js'
import type { AuditService } from './audit.service.js'

export interface AuditRouteOptions {
  audit: AuditService
}

export async function auditRoutes(instance: FastifyInstance, { audit }: AuditRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  // Anonymous callers learn nothing, not even which queries are valid.
  app.addHook('preValidation', async (request) => void requireActor(request))
  app.get(
    '/admin/audit',
    {
      schema: {
        tags: ['audit'],
        security: bearer('audit:read'),
        summary: 'Read the audit log',
        description:
          'Security-relevant actions (sign-ins, session revocations, account changes), newest first. Filter by actor, action and time range; cursor-paginated. Requires audit:read.',
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, ...filters } = request.query
      return audit.list(requireActor(request), { limit, ...filters })
    },
  )
}
