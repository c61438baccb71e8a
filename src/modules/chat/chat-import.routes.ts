import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { ImportChatBody, ImportedChat } from './chat-import.schemas.js'
import { CHAT_USE } from './permissions.js'

/** Each import's body as it arrived: the MAC is checked over these bytes, not over a re-serialization. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>()

/** POST /chats/import: backup and restore (an export, imported again as a new chat). */
export function chatImportRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const limit = api.deps.settings.importMaxBytes
    // Only in this plugin (encapsulated): the JSON is parsed as usual, and its bytes are kept.
    const json = app.getDefaultJsonParser('error', 'error')
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limit }, (request, body, done) => {
      rawBodies.set(request, body as Buffer)
      void json(request, (body as Buffer).toString('utf8'), done)
    })

    app.post(
      '/chats/import',
      {
        bodyLimit: limit,
        // Checked on arrival: a body from someone who may not chat is never read.
        onRequest: async (request) => api.deps.access.requireUse(requireActor(request)),
        schema: {
          tags: ['chat'],
          security: bearer(CHAT_USE),
          summary: 'Import a chat export as a new chat (restore)',
          description:
            'The body is a chat export exactly as `GET /api/chats/{id}/export` wrote it (`Content-Type: application/json`), byte for byte: its `integrity` MAC is checked over the raw bytes, ' +
            'so an export changed in any way (or re-formatted, or from another server: the key comes from its ENCRYPTION_KEY) is 400 CHAT_IMPORT_INVALID and nothing is stored. ' +
            'At most CHAT_IMPORT_MAX_BYTES (default 64 MiB): 413 beyond. Unknown fields or wrong types 400 VALIDATION_FAILED. ' +
            'Only the owner the export lists may import it (anyone else 403 CHAT_IMPORT_FORBIDDEN); a private chat is 409 CHAT_IMPORT_PRIVATE (a pair has at most one private chat). ' +
            'One new chat is created, in one transaction: same type, title, description and settings; the participants whose accounts are still active and who do not block you, with their roles (you are the owner); ' +
            'every message with its seq, author, text, type, times, edit mark, tombstone, reply and thread links (to the new ids), files that still exist, and the reactions and pins of the people kept. ' +
            'Nothing is unread. Answers 201 with the chat as GET shows it and a summary; the others are told with `chat.created` on their `user:<id>` room, as on chat creation.',
          body: ImportChatBody,
          response: { 201: ImportedChat, ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const imported = await api.backup.import(requireActor(request), rawBodies.get(request)!, request.body)
        return reply.code(201).send(imported)
      },
    )
  }
}
