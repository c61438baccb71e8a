import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { IfMatchHeaders, precondition, withETag } from '../../core/http/resource/resource-routes.shared.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import * as S from './characters.schemas.js'
import type { CharacterInput, StyleInput } from './characters.service.js'
import { CONCURRENCY, security, tags } from './projects.routes.js'

const WRITE = 'Owner or editor (a viewer: 403 COLORBOOK_READ_ONLY); a trashed project: 409 COLORBOOK_PROJECT_TRASHED; a project or item you cannot see: 404. At most 1,000 per project (422 COLORBOOK_CHILD_LIMIT).'
const REFERENCES = 'New `referenceFileIds` must be your own files (422 COLORBOOK_FILE_INVALID with the refused ids); ones the character already has are kept whoever uploaded them.'

/** GET/POST /projects/:id/characters|style-presets, GET/PUT/DELETE /characters/:id and /style-presets/:id. */
export function charactersRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { characters } = api

    app.get(
      '/projects/:id/characters',
      { schema: { tags, security, summary: 'List a project’s characters', description: 'In creation order. Any reader of the project.', params: IdParams, response: { 200: S.CharacterList, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => ({ items: await characters.listCharacters(requireActor(request), request.params.id) }),
    )
    app.post(
      '/projects/:id/characters',
      {
        schema: {
          tags,
          security,
          summary: 'Add a character',
          description: `A named character with a description and reference images. ${REFERENCES} ${WRITE}`,
          params: IdParams,
          body: S.CreateCharacterBody,
          response: { 201: S.CharacterView, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await characters.createCharacter(requireActor(request), request.params.id, request.body)),
    )
    app.get(
      '/characters/:id',
      { schema: { tags, security, summary: 'Get a character', description: 'Of a project you can read.', params: IdParams, response: { 200: S.CharacterView, ...errorResponses(400, 401, 403, 404) } } },
      async (request, reply) => withETag(reply, await characters.getCharacter(requireActor(request), request.params.id)),
    )
    app.put(
      '/characters/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Replace a character',
          description: `Omitted fields go back to empty. ${CONCURRENCY} ${REFERENCES} ${WRITE}`,
          params: IdParams,
          headers: IfMatchHeaders,
          body: S.ReplaceCharacterBody,
          response: { 200: S.CharacterView, ...errorResponses(400, 401, 403, 404, 409, 412, 422) },
        },
      },
      async (request, reply) => {
        const { version, ...input } = request.body as CharacterInput & { version?: number }
        return withETag(reply, await characters.replaceCharacter(requireActor(request), request.params.id, input, precondition(request, version)))
      },
    )
    app.delete(
      '/characters/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a character',
          description: `The project’s images stop naming it (each gets a new version and an image.updated event). ${WRITE}`,
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await characters.removeCharacter(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/projects/:id/style-presets',
      { schema: { tags, security, summary: 'List a project’s style presets', description: 'In creation order. Any reader of the project.', params: IdParams, response: { 200: S.StyleList, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => ({ items: await characters.listStyles(requireActor(request), request.params.id) }),
    )
    app.post(
      '/projects/:id/style-presets',
      {
        schema: {
          tags,
          security,
          summary: 'Add a style preset',
          description: `A prompt fragment, a palette (#rrggbb, stored in lower case) and a line weight, which images record having used (\`styleId\`). ${WRITE}`,
          params: IdParams,
          body: S.CreateStyleBody,
          response: { 201: S.StyleView, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await characters.createStyle(requireActor(request), request.params.id, request.body)),
    )
    app.get(
      '/style-presets/:id',
      { schema: { tags, security, summary: 'Get a style preset', description: 'Of a project you can read.', params: IdParams, response: { 200: S.StyleView, ...errorResponses(400, 401, 403, 404) } } },
      async (request, reply) => withETag(reply, await characters.getStyle(requireActor(request), request.params.id)),
    )
    app.put(
      '/style-presets/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Replace a style preset',
          description: `Omitted fields go back to empty. ${CONCURRENCY} ${WRITE}`,
          params: IdParams,
          headers: IfMatchHeaders,
          body: S.ReplaceStyleBody,
          response: { 200: S.StyleView, ...errorResponses(400, 401, 403, 404, 409, 412, 422) },
        },
      },
      async (request, reply) => {
        const { version, ...input } = request.body as StyleInput & { version?: number }
        return withETag(reply, await characters.replaceStyle(requireActor(request), request.params.id, input, precondition(request, version)))
      },
    )
    app.delete(
      '/style-presets/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a style preset',
          description: `The project’s images that used it get \`styleId: null\` (each a new version and an image.updated event). ${WRITE}`,
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await characters.removeStyle(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
