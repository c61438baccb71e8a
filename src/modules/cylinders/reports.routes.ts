import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { adminTags as tags, security } from './cylinders-routes.shared.js'
import { CYLINDERS_REPORTS } from './permissions.js'
import { toCsv } from './reports.csv.js'
import * as S from './reports.schemas.js'
import { csvFileName } from './reports.service.js'

/** GET /admin/reports: activity, turnaround, holdings, overdue returns and tests due, as JSON or CSV. */
export function reportsRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { reports } = api
    const preHandler = requirePermission(api.access, CYLINDERS_REPORTS)

    app.get(
      '/admin/reports',
      {
        preHandler,
        schema: {
          tags,
          security,
          summary: 'Reports (admin)',
          description:
            'Activity per day or week and turnaround times over a range (default: the last 30 days, at most 366), plus the state now: holdings per customer, overdue returns and tests due. ' +
            'Produces application/json, or with `format=csv&report=…` text/csv of that one report as an attachment (`<report>-<from>-<to>.csv`); format=csv without report is 400. ' +
            'A range that is not a date, ends before it starts or spans over 366 days is 400 VALIDATION_FAILED naming the field.',
          querystring: S.ReportsQuery,
          response: {
            200: {
              description: 'The reports, or one report as CSV',
              headers: { 'content-disposition': S.CsvDisposition },
              content: { 'application/json': { schema: S.Reports }, 'text/csv': { schema: S.Csv } },
            },
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const { format, report, ...query } = request.query
        if (format !== 'csv') return reply.send(await reports.all(requireActor(request), query))
        if (!report) throw new AppError('VALIDATION_FAILED', 'Name the report to download: report=activity, turnaround, holdings, overdue-returns or tests-due.', { 'query.report': 'is required with format=csv' })
        const params = reports.params(query)
        const csv = toCsv(await reports.section(requireActor(request), report, params))
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${csvFileName(report, params.range)}"`)
          .send(csv)
      },
    )
  }
}
