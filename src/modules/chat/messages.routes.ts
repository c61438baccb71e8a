import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { MessageView } from './message.view.js'
import * as S from './messages.schemas.js'
import { CHAT_USE } from './permissions.js'
import { ScheduledMessageView } from './scheduled.schemas.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const chatRules =
  'A private or group chat you are not in is 404 CHAT_NOT_FOUND; a channel you have not joined 403 CHAT_NOT_PARTICIPANT.'

/** Sending, listing, editing and deleting messages, and an edit's history. */
export function messagesRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { messages } = api
    // Per account, on every instance with Redis (CHAT_SEND_RATE_LIMIT_PER_MINUTE; 0: off).
    const sendLimit = api.deps.ctx.rateLimit({
      name: 'send',
      perMinute: api.deps.settings.sendRateLimitPerMinute,
      key: (request) => request.actor?.id ?? request.ip,
      message: 'Too many messages',
    })

    app.post(
      '/chats/:id/messages',
      {
        preHandler: sendLimit,
        schema: {
          tags,
          security,
          summary: 'Send a message',
          description: [
            'Text (`@username` mentions a participant), your own files (one audio or video file makes a voice or video message; `media` carries its duration and a voice waveform), a reply (`replyToId`) or a thread reply (`threadRootId`), all in this chat.',
            'The answer carries the message\'s `seq`. A `clientId` makes retries safe: sending again with it answers 200 with the first message, forever (even once posting is refused, e.g. the chat was archived).',
            `${chatRules} An archived chat is 409 CHAT_ARCHIVED; a channel where only the owner and admins post 403 CHAT_POST_FORBIDDEN; a private chat with someone who blocked you 403 CHAT_BLOCKED; slow mode 429 CHAT_SLOW_MODE with Retry-After (owners and admins are exempt); too many messages a minute 429 RATE_LIMITED.`,
            'Neither text nor files: 400 MESSAGE_EMPTY; text over 10,000 characters 400; a reply or thread not in this chat 422 MESSAGE_REFERENCE_INVALID; files not yours 422 MESSAGE_FILE_INVALID; `media` without one audio or video file 422 MESSAGE_MEDIA_INVALID.',
            '`scheduledAt` (10 s to 365 days ahead, else 422 SCHEDULED_TIME_INVALID) schedules it instead: the same checks apply now, the answer is 202 with the scheduled message (no seq), and it is sent at that time (seq allocated then) unless cancelled (DELETE /api/chats/{id}/scheduled/{scheduledId}), or you left, were removed or may no longer post. At most 100 waiting per chat: 409 SCHEDULED_MESSAGE_LIMIT.',
          ].join('\n\n'),
          params: IdParams,
          body: S.SendMessageBody,
          response: {
            200: { ...MessageView, description: 'The message first sent with this clientId' },
            201: { ...MessageView, description: 'Sent: the message with its seq' },
            202: { ...ScheduledMessageView, description: 'Scheduled (`scheduledAt`): sent at that time; again with the clientId of a pending one, that one' },
            ...errorResponses(400, 401, 403, 404, 409, 422, 429),
          },
        },
      },
      async (request, reply) => {
        const { scheduledAt } = request.body
        if (scheduledAt !== undefined) return reply.code(202).send((await api.scheduled.schedule(requireActor(request), request.params.id, { ...request.body, scheduledAt })).scheduled)
        const { message, created } = await messages.send(requireActor(request), request.params.id, request.body)
        return reply.code(created ? 201 : 200).send(message)
      },
    )

    app.get(
      '/chats/:id/messages',
      {
        schema: {
          tags,
          security,
          summary: 'List a chat\'s messages',
          description: [
            'Newest first by seq (`before` a seq: older ones). `after` a seq lists OLDER-TO-NEWER from there, to catch up after a gap; `around` a seq gives about half the page up to it (it included) and half after, newest first, and its cursor continues to older ones.',
            '`threadRootId`: the thread\'s replies; `q`: full-text search in this chat (every word must occur, the last one may be a prefix; deleted messages never match). Deleted messages stay in the list as tombstones (text null), so seq has no holes.',
            'At most one of before, after, around and cursor (else 400). A private or group chat you are not in is 404 CHAT_NOT_FOUND; a channel is public, readable before joining. A thread not in this chat: 422 MESSAGE_REFERENCE_INVALID.',
          ].join('\n\n'),
          params: IdParams,
          querystring: S.MessageListQuery,
          response: { 200: S.MessagePage, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request) => messages.list(requireActor(request), request.params.id, request.query),
    )

    app.put(
      '/messages/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Edit a message',
          description:
            'The author only (anyone else 403 MESSAGE_NOT_AUTHOR); the previous text is kept in the history and `@mentions` are resolved again. A stale `version` is 409 VERSION_CONFLICT with the current message in `details.current`; a deleted message 410 MESSAGE_DELETED; an archived chat 409 CHAT_ARCHIVED; blank text on a message without files 400 MESSAGE_EMPTY.',
          params: IdParams,
          body: S.EditMessageBody,
          response: { 200: MessageView, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (request) => messages.edit(requireActor(request), request.params.id, request.body),
    )

    app.delete(
      '/messages/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a message',
          description:
            'The author, the chat\'s owner or admins, or a platform moderator. A tombstone stays (text, files, mentions and history gone; `deletedAt` set) so seq has no holes; deleting it again answers the same tombstone. Others 403 CHAT_ROLE_FORBIDDEN; an archived chat 409 CHAT_ARCHIVED.',
          params: IdParams,
          response: { 200: { ...MessageView, description: 'The tombstone' }, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => messages.remove(requireActor(request), request.params.id),
    )

    app.get(
      '/messages/:id/history',
      {
        schema: {
          tags,
          security,
          summary: 'A message\'s edit history',
          description: 'Its earlier texts, oldest first, each with the version it was and when it was written; the current text is the message itself (a deleted message has none). Participants of its chat, and anyone for a channel\'s message; others 404 MESSAGE_NOT_FOUND.',
          params: IdParams,
          querystring: S.HistoryQuery,
          response: { 200: S.MessageHistory, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => messages.history(requireActor(request), request.params.id, request.query),
    )
  }
}
