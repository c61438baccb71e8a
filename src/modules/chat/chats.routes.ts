import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import Type, { type TSchema } from 'typebox'
import { ChatExport } from './chat-export.js'
import { ChatMeView, ChatView } from './chat.view.js'
import * as S from './chats.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
/** The export is streamed: typed loosely so the reply takes the stream (the document's shape stays in the reference). */
const exportSchema: TSchema = ChatExport
const security = bearer(CHAT_USE)

const notFound = 'A private or group chat you are not in is 404 CHAT_NOT_FOUND (as if it did not exist); a channel you have not joined 403 CHAT_NOT_PARTICIPANT.'

/** Creating, listing, reading and changing chats; leaving, joining, the read mark and one's own preferences. */
export function chatsRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { chats } = api

    app.post(
      '/chats',
      {
        schema: {
          tags,
          security,
          summary: 'Create a chat',
          description:
            'A `private` chat with exactly one other person (no title; creating it again answers 200 with the existing chat), a `group` or a `channel` (both need a title). ' +
            'You become the owner, the others members. Unknown or deleted accounts: 422 CHAT_USER_UNKNOWN; a private chat with someone who blocked you: 403 CHAT_BLOCKED ' +
            '(people who blocked you are left out of a group or channel); a private chat naming other than one person: 422 CHAT_PRIVATE_MEMBERS.',
          body: S.CreateChatBody,
          response: { 200: ChatView, 201: ChatView, ...errorResponses(400, 401, 403, 415, 422) },
        },
      },
      async (request, reply) => {
        const { view, created } = await chats.create(requireActor(request), request.body)
        return reply.code(created ? 201 : 200).send(view)
      },
    )

    app.get(
      '/chats',
      {
        schema: {
          tags,
          security,
          summary: 'List your chats',
          description:
            'The chats you are in, newest activity first (the newest message, or the creation while there is none), each with its `lastMessage` (null: none yet) and your `me` counters (`unreadCount`, `mentionCount`). ' +
            'Private chats you deleted for yourself are left out until a new message arrives. Filters: `type`; `archived` (your own archive: true only archived, false only the others); ' +
            '`q`: the title contains it, ignoring case, or for a private chat the other person\'s name or username does. Cursor-paginated (`limit` at most 200, default 50).',
          querystring: S.ChatListQuery,
          response: { 200: S.ChatPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => chats.list(requireActor(request), request.query),
    )

    app.get(
      '/chats/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Get a chat',
          description: 'A chat you are in, or any channel (then `me` is null). A private or group chat you are not in is 404, as if it did not exist.',
          params: S.ChatIdParams,
          response: { 200: ChatView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => chats.get(requireActor(request), request.params.id),
    )

    app.put(
      '/chats/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Change a chat',
          description:
            'The owner or an admin changes the title, description, avatar (an image you uploaded; null removes it), settings (`slowModeSeconds`, `membersCanPost`) or `archived` (read-only for everyone; allowed while archived, to unarchive). ' +
            'Send the `version` you read: a stale one is 409 VERSION_CONFLICT with the current chat in `details.current`. A new title writes a `title.changed` system message. ' +
            'A private chat has no title, description or avatar (400). Members 403 CHAT_ROLE_FORBIDDEN; an avatar that is not your image 422 CHAT_AVATAR_INVALID. ' +
            `${notFound} Announced as \`chat.updated\` to \`chat:<id>\` (with \`me\` null).`,
          params: S.ChatIdParams,
          body: S.UpdateChatBody,
          response: { 200: ChatView, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
        },
      },
      async (request) => chats.update(requireActor(request), request.params.id, request.body),
    )

    app.delete(
      '/chats/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Leave or delete a chat',
          description:
            'Default (`scope=me`): you leave a group or channel (your access ends at once; a leaving owner hands the chat to the oldest admin, else the oldest member; the last one out deletes it); ' +
            'a private chat is hidden from your list instead, and comes back when a new message arrives. `scope=everyone`: the owner (in a private chat either person) deletes the chat for all; ' +
            'a private pair may then open a new one. Anyone else 403 CHAT_ROLE_FORBIDDEN. ' +
            `${notFound} Announced as \`participant.removed\` (leaving) or \`chat.deleted\` (\`{id, scope}\`) to \`chat:<id>\` and the people's own rooms.`,
          params: S.ChatIdParams,
          querystring: S.DeleteChatQuery,
          response: { 204: Type.Null({ description: 'Left, hidden or deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await chats.remove(requireActor(request), request.params.id, request.query)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/chats/:id/join',
      {
        schema: {
          tags,
          security,
          summary: 'Join a channel',
          description:
            'Anyone may join a public channel, as a member (a `member.joined` system message; everything before counts as read). Already in it: 409 CHAT_ALREADY_MEMBER; ' +
            'banned from it: 403 CHAT_BANNED; an archived channel 409 CHAT_ARCHIVED; a private or group chat you are not in 404 CHAT_NOT_FOUND. Answers the chat as you now see it.',
          params: S.ChatIdParams,
          response: { 200: ChatView, ...errorResponses(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request) => chats.join(requireActor(request), request.params.id),
    )

    app.post(
      '/chats/:id/read',
      {
        schema: {
          tags,
          security,
          summary: 'Mark a chat read up to a seq',
          description:
            'Moves your read mark forward to `seq` (never back; past the newest message it stops there) and recomputes your unread and mention counts; ' +
            'announced as `message.read` `{chatId, userId, seq}` to `chat:<id>`. A mark already there or further changes nothing. Answers your state in the chat. ' +
            notFound,
          params: S.ChatIdParams,
          body: S.ReadBody,
          response: { 200: ChatMeView, ...errorResponses(400, 401, 403, 404, 415) },
        },
      },
      async (request) => chats.read(requireActor(request), request.params.id, request.body.seq),
    )

    app.put(
      '/chats/:id/preferences',
      {
        schema: {
          tags,
          security,
          summary: 'Set your preferences for a chat',
          description:
            'Your notification level (`all`, `mentions`, `none`; null: your default), mute until a time (null unmutes) and whether the chat is in your archive (your list only). At least one field. ' +
            `Answers your state in the chat. ${notFound}`,
          params: S.ChatIdParams,
          body: S.PreferencesBody,
          response: { 200: ChatMeView, ...errorResponses(400, 401, 403, 404, 415) },
        },
      },
      async (request) => chats.preferences(requireActor(request), request.params.id, request.body),
    )

    app.get(
      '/chats/:id/export',
      {
        schema: {
          tags,
          security,
          summary: 'Export a chat',
          description:
            'The owner or an admin downloads the whole history as one JSON document, streamed as it is read (`chat-<id>.json`): the chat, its participants, and every message up to the newest when the export started, in seq order (deleted ones as tombstones, system messages included). ' +
            `Members 403 CHAT_ROLE_FORBIDDEN. ${notFound}`,
          params: S.ChatIdParams,
          response: {
            200: { description: 'The export (application/json, as an attachment)', content: { 'application/json': { schema: exportSchema } } },
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const { chatId, body } = await chats.export(requireActor(request), request.params.id)
        return reply
          .type('application/json; charset=utf-8')
          .headers({ 'content-disposition': `attachment; filename="chat-${chatId}.json"`, 'cache-control': 'private, no-store' })
          .send(body)
      },
    )
  }
}
