import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { MessageView } from './message.view.js'
import * as S from './moderation.schemas.js'
import { CHAT_MODERATE, CHAT_USE } from './permissions.js'

const tags = ['chat']

/** Reporting a message, and the platform moderators' routes (chat:moderate). */
export function moderationRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { moderation } = api
    const admin = bearer(CHAT_MODERATE)

    app.post(
      '/messages/:id/report',
      {
        schema: {
          tags,
          security: bearer(CHAT_USE),
          summary: 'Report a message to the moderators',
          description:
            'Anyone who may read the message (a participant, anyone for a channel\'s). Once per person and message: reporting again answers 200 with your first report, whatever its status. 404 MESSAGE_NOT_FOUND if you cannot read it; 410 MESSAGE_DELETED; a blank reason 400.',
          params: IdParams,
          body: S.ReportBody,
          response: { 200: { ...S.ReportView, description: 'You had already reported it' }, 201: S.ReportView, ...errorResponses(400, 401, 403, 404, 410) },
        },
      },
      async (request, reply) => {
        const { report, created } = await moderation.report(requireActor(request), request.params.id, request.body.reason)
        return reply.code(created ? 201 : 200).send(report)
      },
    )

    app.get(
      '/admin/chat-reports',
      {
        schema: {
          tags,
          security: admin,
          summary: 'Reported messages',
          description: 'Platform moderators (chat:moderate; others 403 FORBIDDEN). Open reports first, then the closed ones, newest first within each; each with the reporter, the message (its tombstone once deleted) and the chat. Cursor-paginated; `status` filters.',
          querystring: S.ReportListQuery,
          response: { 200: S.ReportPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => moderation.reports(requireActor(request), request.query),
    )

    app.put(
      '/admin/chat-reports/:id',
      {
        schema: {
          tags,
          security: admin,
          summary: 'Close a report',
          description: 'Platform moderators: `resolved` (acted on) or `dismissed` (nothing wrong); records who and when (closing again overwrites). No such report: 404 REPORT_NOT_FOUND.',
          params: IdParams,
          body: S.CloseReportBody,
          response: { 200: S.ClosedReportView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => moderation.closeReport(requireActor(request), request.params.id, request.body.status),
    )

    app.delete(
      '/admin/messages/:id',
      {
        schema: {
          tags,
          security: admin,
          summary: 'Delete any message',
          description:
            'Platform moderators, in any chat (archived ones too): the message becomes a tombstone (as DELETE /api/messages/{id}; `message.deleted` on its chat) and its open reports are resolved by you. Deleting a tombstone answers it again. No such message: 404 MESSAGE_NOT_FOUND.',
          params: IdParams,
          response: { 200: { ...MessageView, description: 'The tombstone' }, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => moderation.deleteMessage(requireActor(request), request.params.id),
    )

    app.get(
      '/admin/chat-stats',
      {
        schema: {
          tags,
          security: admin,
          summary: 'Messages and active senders per chat and day',
          description:
            'Platform moderators. Per chat and UTC day (only days with messages, by day then chat): messages sent (system messages not counted; later-deleted ones are) and distinct senders. `from`/`to` are days (YYYY-MM-DD, both included; default the last 30 days), at most 90 days (else 400); `chatId` one chat (404 CHAT_NOT_FOUND if none). Cursor-paginated.',
          querystring: S.StatsQuery,
          response: { 200: S.StatsPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => moderation.stats(requireActor(request), request.query),
    )
  }
}
