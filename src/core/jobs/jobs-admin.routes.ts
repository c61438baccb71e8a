import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { PermissionRegistry } from '../access/permissions.js'
import { requireActor, requirePermission } from '../access/require-permission.js'
import { requestMeta } from '../auth/request-meta.js'
import { errorResponses } from '../http/schemas.js'
import * as S from './jobs-admin.schemas.js'
import type { JobsAdminService } from './jobs-admin.service.js'
import { JOBS_MANAGE, JOBS_READ } from './permissions.js'

export interface JobsAdminRouteOptions {
  jobsAdmin: JobsAdminService
  access: PermissionRegistry
}

const tags = ['jobs-admin']
const security = [{ bearerAuth: [] }]

/** /admin/jobs: queue depth, dead letters, retry and discard. */
export async function jobsAdminRoutes(instance: FastifyInstance, { jobsAdmin, access }: JobsAdminRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  // On request, before validation: anonymous and unprivileged callers learn nothing about the inputs.
  const read = requirePermission(access, JOBS_READ)
  const manage = requirePermission(access, JOBS_MANAGE)

  app.get(
    '/admin/jobs',
    {
      onRequest: read,
      schema: {
        tags,
        security,
        summary: 'Job queues: depth and dead letters',
        description: 'Every queue with its jobs waiting, retrying, running and dead-lettered, and the totals. Counted by pg-boss over its job table at each request.',
        response: { 200: S.QueuesOverview, ...errorResponses(401, 403) },
      },
    },
    async (request) => jobsAdmin.queues(requireActor(request)),
  )

  app.get(
    '/admin/jobs/failed',
    {
      onRequest: read,
      schema: {
        tags,
        security,
        summary: 'Dead-lettered jobs',
        description: 'Jobs that failed their last attempt and are still in the queue (a week; then archived), most recently failed first, cursor-paginated; filter by queue. Never their payload.',
        querystring: S.FailedJobsQuery,
        response: { 200: S.FailedJobPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, ...filters } = request.query
      return jobsAdmin.failed(requireActor(request), { limit, ...filters })
    },
  )

  app.post(
    '/admin/jobs/:queue/:id/retry',
    {
      onRequest: manage,
      schema: {
        tags,
        security,
        summary: 'Retry a dead-lettered job',
        description: 'Gives the job one more attempt (audited as `job.retried`); a worker takes it at once. 404 for no such job; 409 CONFLICT for a job that is not dead-lettered, or was archived (details.state).',
        params: S.JobParams,
        response: { 200: S.JobStatus, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => jobsAdmin.retry(requireActor(request), request.params.queue, request.params.id, requestMeta(request)),
  )

  app.delete(
    '/admin/jobs/:queue/:id',
    {
      onRequest: manage,
      schema: {
        tags,
        security,
        summary: 'Discard a dead-lettered job',
        description: 'Deletes the job for good (audited as `job.discarded`). Only dead letters: 404 for no such job, 409 CONFLICT for one that is waiting, running, finished or archived (details.state).',
        params: S.JobParams,
        response: { 204: Type.Null({ description: 'Discarded' }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await jobsAdmin.discard(requireActor(request), request.params.queue, request.params.id, requestMeta(request))
      return reply.code(204).send(null)
    },
  )
}
