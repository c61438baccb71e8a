import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import { dashboardCsv } from './analytics.csv.js'
import * as S from './analytics.schemas.js'
import type { ColorbookApi } from './api.js'
import { COLORBOOK_ANALYTICS, COLORBOOK_USE } from './permissions.js'
import { CLIENT_USAGE_TYPES } from './usage-types.js'

const tags = ['colorbook']
const RANGE = 'A range of UTC days `from`–`to` (inclusive; default the last 30 days; at most 366; else 400).'
const TYPES = Object.entries(CLIENT_USAGE_TYPES)
  .map(([type, schema]) => `\`${type}\`${Object.keys(schema.properties).length > 0 ? ` {${Object.keys(schema.properties).join(', ')}}` : ''}`)
  .join(', ')

/** Usage analytics: clients' events, the caller's own numbers, the admins' dashboard. */
export function analyticsRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { usage } = api

    app.post(
      '/analytics/events',
      {
        preHandler: usage.eventsLimit,
        schema: {
          tags,
          security: bearer(COLORBOOK_USE),
          summary: 'Report usage events from the device',
          description: `A batch of 1–${S.MAX_EVENTS_PER_BATCH} events, all stored or none. Types and their metadata (nothing else is accepted): ${TYPES}. A bad event is 400 VALIDATION_FAILED naming it (\`/events/<i>/…\`). Rate-limited per account (429 RATE_LIMITED with Retry-After).`,
          body: S.TrackBody,
          response: { 202: S.TrackResult, ...errorResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => reply.code(202).send({ accepted: await usage.track(requireActor(request), request.body.events) }),
    )

    app.get(
      '/analytics/me',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_USE),
          summary: 'Your usage',
          description: `Your events per type in the range and per day. ${RANGE}`,
          querystring: S.RangeQuery,
          response: { 200: S.MyUsage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => usage.mine(requireActor(request), request.query),
    )

    app.get(
      '/admin/analytics',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_ANALYTICS),
          summary: 'Usage analytics (admin)',
          description: `Active users per day, ISO week and month; events per type per day; projects created, template usage and conversions (plan.upgraded) per day — all from the daily roll-up (job colorbook.usage-rollup, hourly; \`rolledUpThrough\` says how far it got) — and the plan mix now. ${RANGE} \`format=csv\`: the same as text/csv.`,
          querystring: S.DashboardQuery,
          response: {
            200: {
              description: 'The dashboard, or as CSV',
              headers: { 'content-disposition': S.CsvDisposition },
              content: { 'application/json': { schema: S.Dashboard }, 'text/csv': { schema: S.Csv } },
            },
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const { format, ...range } = request.query
        const dashboard = await usage.dashboard(requireActor(request), range)
        if (format !== 'csv') return reply.send(dashboard)
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="colorbook-analytics-${dashboard.from}-${dashboard.to}.csv"`)
          .send(dashboardCsv(dashboard))
      },
    )
  }
}
