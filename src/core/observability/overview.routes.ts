import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { PermissionRegistry } from '../access/permissions.js'
import { requireActor, requirePermission } from '../access/require-permission.js'
import { errorResponses, Timestamp } from '../http/schemas.js'
import type { OverviewService } from './overview.service.js'
import { PLATFORM_READ } from './permissions.js'

const Count = (description: string) => Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description })
const counts = {
  requests: Count('Requests answered (every route, the probes and /metrics included)'),
  clientErrors: Count('Of those, answered 4xx'),
  serverErrors: Count('Of those, answered 5xx'),
}
const Check = Type.Enum(['ok', 'timeout', 'unreachable'], { description: 'The readiness check’s result, as at /ready' })

export const Overview = Type.Object(
  {
    version: Type.String({ maxLength: 64, pattern: '^[0-9A-Za-z.+-]+$', description: 'The running Plinth version' }),
    modules: Type.Array(Type.String({ maxLength: 64, pattern: '^[a-z][a-z0-9-]*$' }), { maxItems: 100, description: 'The enabled modules (MODULES)' }),
    startedAt: Timestamp,
    uptimeSeconds: Count('Seconds this process has run'),
    requests: Type.Object(
      {
        lastMinute: Type.Object(
          {
            seconds: Type.Integer({ format: 'int32', minimum: 1, maximum: 60, description: 'The window: the last 60 s, or since start when the process is younger' }),
            ...counts,
            perSecond: Type.Number({ minimum: 0, maximum: 1e9, description: '`requests` / `seconds`' }),
            serverErrorRatio: Type.Number({ minimum: 0, maximum: 1, description: '`serverErrors` / `requests` (0 without requests): the error rate' }),
          },
          { description: 'This instance, over the trailing minute' },
        ),
        sinceStart: Type.Object(counts, { description: 'This instance, since it started' }),
      },
      { description: 'Requests this instance answered; other instances count their own (sum them, or use Prometheus)' },
    ),
    ready: Type.Boolean({ description: 'Every dependency answered its readiness check (as /ready would answer 200)' }),
    dependencies: Type.Record(Type.String({ maxLength: 32 }), Check, { description: 'Each dependency’s check: `database`, and `redis` when configured' }),
  },
  { title: 'Overview', description: 'This instance: version, uptime, request and error rates, readiness of each dependency' },
)

/** GET /admin/overview. */
export async function overviewRoutes(instance: FastifyInstance, { overview, access }: { overview: OverviewService; access: PermissionRegistry }): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/admin/overview',
    {
      onRequest: requirePermission(access, PLATFORM_READ),
      schema: {
        tags: ['platform-admin'],
        security: [{ bearerAuth: [] }],
        summary: 'Service overview (admin)',
        description:
          'The instance answering: its version and enabled modules, uptime, requests and 4xx/5xx answers over the last minute and since start (counted in process, the same responses as `http_requests_total`), and the readiness checks of /ready. Answers 200 also when a dependency is down (`ready: false`).',
        response: { 200: Overview, ...errorResponses(401, 403) },
      },
    },
    async (request) => overview.get(requireActor(request)),
  )
}
