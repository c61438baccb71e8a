import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './message-extras.schemas.js'
import { MAX_PINS } from './message-extras.service.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const reach =
  'A message of a private or group chat you are not in (or no such message) is 404 MESSAGE_NOT_FOUND; a channel you have not joined 403 CHAT_NOT_PARTICIPANT; an archived chat 409 CHAT_ARCHIVED; a deleted message 410 MESSAGE_DELETED.'

/** Reactions, pins and forwarding. */
export function messageExtrasRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { extras } = api
    // A forward is a send: limited per account like sending (CHAT_SEND_RATE_LIMIT_PER_MINUTE forwards a minute; 0: off).
    const forwardLimit = api.deps.ctx.rateLimit({
      name: 'forward',
      perMinute: api.deps.settings.sendRateLimitPerMinute,
      key: (request) => request.actor?.id ?? request.ip,
      message: 'Too many forwards',
    })

    app.post(
      '/messages/:id/reactions',
      {
        schema: {
          tags,
          security,
          summary: 'React to a message',
          description: [
            'One reaction per person and emoji: reacting again answers 200 with the same object and changes nothing. The answer, and the `reaction.added` event on `chat:<id>`, name the message, the emoji and you, with the message and its reactions after the change.',
            `An emoji is exactly one emoji or a \`:short_name:\` (else 400 REACTION_EMOJI_INVALID); a message shows at most 50 kinds, so a new kind beyond them is 409 REACTION_KINDS_FULL. ${reach}`,
          ].join('\n\n'),
          params: IdParams,
          body: S.ReactionBody,
          response: { 200: { ...S.ReactionChange, description: 'You had already reacted so' }, 201: S.ReactionChange, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (request, reply) => {
        const { change, created } = await extras.react(requireActor(request), request.params.id, request.body.emoji)
        return reply.code(created ? 201 : 200).send(change)
      },
    )

    app.delete(
      '/messages/:id/reactions/:emoji',
      {
        schema: {
          tags,
          security,
          summary: 'Take back your reaction',
          description: `The emoji URL-encoded (\`%F0%9F%91%8D\` for 👍). Idempotent: 200 also when you had not reacted so (then no \`reaction.removed\` event). ${reach}`,
          params: S.ReactionParams,
          response: { 200: S.ReactionChange, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (request) => extras.unreact(requireActor(request), request.params.id, request.params.emoji),
    )

    app.post(
      '/messages/:id/pin',
      {
        schema: {
          tags,
          security,
          summary: 'Pin a message',
          description: `The chat's owner and admins (in a private chat either person; others 403 CHAT_ROLE_FORBIDDEN). Pinning again answers 200 with the first pin. At most ${MAX_PINS} pins a chat (409 CHAT_PINS_FULL). Emits \`message.pinned\` with the pin. ${reach}`,
          params: IdParams,
          response: { 200: { ...S.PinView, description: 'It was already pinned' }, 201: S.PinView, ...errorResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (request, reply) => {
        const { pin, created } = await extras.pin(requireActor(request), request.params.id)
        return reply.code(created ? 201 : 200).send(pin)
      },
    )

    app.delete(
      '/messages/:id/pin',
      {
        schema: {
          tags,
          security,
          summary: 'Unpin a message',
          description:
            'Same rule as pinning. Idempotent: 204 also when it was not pinned (then no event); otherwise `message.unpinned` with `{chatId, messageId, unpinnedBy}`. 404 MESSAGE_NOT_FOUND, 403 CHAT_NOT_PARTICIPANT / CHAT_ROLE_FORBIDDEN, 409 CHAT_ARCHIVED as for pinning.',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Not pinned (any more)' }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await extras.unpin(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/chats/:id/pins',
      {
        schema: {
          tags,
          security,
          summary: 'A chat\'s pinned messages',
          description: 'Newest pin first, each with its message; deleted messages leave the list. Participants, and anyone for a channel; a private or group chat you are not in is 404 CHAT_NOT_FOUND.',
          params: IdParams,
          response: { 200: S.PinList, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => extras.pins(requireActor(request), request.params.id),
    )

    app.post(
      '/messages/:id/forward',
      {
        preHandler: forwardLimit,
        schema: {
          tags,
          security,
          summary: 'Forward a message',
          description: [
            'Copies a message you may read (any message of your chats, or of a channel) into 1–10 chats you may post in, as a new message from you in each: its text, files (readable by the target\'s participants from then on) and voice/video media, with `forwardedFrom` naming the original `{messageId, chatId, authorId}` (a forward of a forward names the first origin). Each copy is sent like any message: seq, `message.sent`, notifications, mentions resolved in the target.',
            'Every target is checked first; if you cannot post in one (not in it, archived, posting forbidden, blocked, slow mode), 403 MESSAGE_FORWARD_REFUSED lists each refused chat with its reason in `details.chats` ([{chatId, code}]) and nothing is sent.',
            'With a `clientId` (your idempotency key), a retry stores nothing twice: each target chat whose copy was stored by an earlier try answers that copy (not checked again), the others are sent; 200 when every copy was there already, 201 when this request stored at least one. The same key for another message names other copies.',
            'The source: 404 MESSAGE_NOT_FOUND if you cannot read it, 410 MESSAGE_DELETED, 422 MESSAGE_NOT_FORWARDABLE for a system message, 422 MESSAGE_FILE_INVALID (with `details.fileIds`) when one of its files was deleted since. Forwards count against a per-account limit like sending (429 RATE_LIMITED).',
          ].join('\n\n'),
          params: IdParams,
          body: S.ForwardBody,
          response: { 200: { ...S.ForwardResult, description: 'Every copy was stored by an earlier request with this clientId: those copies' }, 201: S.ForwardResult, ...errorResponses(400, 401, 403, 404, 410, 422, 429) },
        },
      },
      async (request, reply) => {
        const { items, created } = await extras.forward(requireActor(request), request.params.id, request.body.chatIds, request.body.clientId)
        return reply.code(created ? 201 : 200).send({ items })
      },
    )
  }
}
