import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { IfMatchHeaders, precondition, withETag } from '../../core/http/resource/resource-routes.shared.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import { drawingJson, sendJson, type StrokesValue } from './child.view.js'
import { ChildList, childSchemas } from './children.schemas.js'
import type { ChildKindOf } from './children.repository.js'
import { DRAWING_MAX_BYTES } from './domain.js'
import * as S from './projects.schemas.js'
import { CONCURRENCY, security, tags } from './projects.routes.js'
import { uploadsRoutes } from './uploads.routes.js'

const KINDS = [
  { kind: 'story', path: 'stories', noun: 'story', title: 'Stories' },
  { kind: 'image', path: 'images', noun: 'image', title: 'Images' },
  { kind: 'drawing', path: 'drawings', noun: 'drawing', title: 'Drawings' },
] as const

const WRITE = 'Owner or editor (a viewer: 403 COLORBOOK_READ_ONLY); a trashed project: 409 COLORBOOK_PROJECT_TRASHED; a project or item you cannot see: 404.'
const EXTRA: Record<ChildKindOf, string> = {
  story: '`text` at most 50,000 characters.',
  image: '`fileId` must be one of your files (422 COLORBOOK_FILE_INVALID; POST /api/projects/{id}/images also takes the image itself as multipart/form-data); `storyId`, `styleId` and `characterIds` must be the project’s (422 COLORBOOK_REFERENCE_INVALID).',
  drawing: '`strokes`: [{points: [[x, y], …], width, color?, tool?}], at most 5 MiB as JSON (413 COLORBOOK_DRAWING_TOO_LARGE).',
}
/**
 * A drawing is answered with its strokes spliced in as JSON text (child.view.ts, `drawingJson`):
 * they are never parsed and serialised again. Stories and images go through the response schema.
 */
const answer = (reply: FastifyReply, kind: ChildKindOf, view: { version: number }): FastifyReply | Record<string, unknown> =>
  kind === 'drawing' ? sendJson(reply, drawingJson(reply, view as unknown as { strokes: StrokesValue })) : view
const answerList = (reply: FastifyReply, kind: ChildKindOf, views: unknown[]): FastifyReply | { items: Record<string, unknown>[] } =>
  kind === 'drawing' ? sendJson(reply, `{"items":[${views.map((view) => drawingJson(reply, view as { strokes: StrokesValue })).join(',')}]}`) : { items: views as Record<string, unknown>[] }

/** A 5 MiB drawing is sent as JSON with some whitespace: the body may be a little larger than its strokes. */
const DRAWING_BODY_LIMIT = DRAWING_MAX_BYTES + 1024 * 1024

/** GET/POST /projects/:id/<kind>s, GET/PUT/PATCH/DELETE /<kind>s/:id for stories, images and drawings; PUT /projects/:id/order. */
export function childrenRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { children } = api

    for (const { kind, path, noun, title } of KINDS) {
      const schemas = childSchemas[kind]
      const bodyLimit = kind === 'drawing' ? { bodyLimit: DRAWING_BODY_LIMIT } : {}
      app.get(
        `/projects/:id/${path}`,
        {
          schema: { tags, security, summary: `List a project’s ${path}`, description: 'In order (position, then creation).', params: IdParams, response: { 200: ChildList(schemas.view, `Colorbook${title}`), ...errorResponses(400, 401, 403, 404) } },
        },
        async (request, reply) => answerList(reply, kind, await children.list(requireActor(request), kind, request.params.id)),
      )

      // Images: JSON or multipart, in uploads.routes.ts.
      if (kind !== 'image') app.post(
        `/projects/:id/${path}`,
        {
          ...bodyLimit,
          schema: {
            tags,
            security,
            summary: `Add a ${noun}`,
            description: `At \`position\`, or after the last one. ${EXTRA[kind]} ${WRITE}`,
            params: IdParams,
            body: schemas.create,
            response: { 201: schemas.view, ...errorResponses(400, 401, 403, 404, 409, 413, 422) },
          },
        },
        async (request, reply) => {
          const view = await children.create(requireActor(request), kind, request.params.id, request.body)
          return answer(reply, kind, withETag(reply.code(201), view as { version: number }))
        },
      )

      app.get(
        `/${path}/:id`,
        { schema: { tags, security, summary: `Get a ${noun}`, description: 'Of a project you can read.', params: IdParams, response: { 200: schemas.view, ...errorResponses(400, 401, 403, 404) } } },
        async (request, reply) => answer(reply, kind, withETag(reply, (await children.get(requireActor(request), kind, request.params.id)) as { version: number })),
      )

      for (const [method, body, mode] of [
        ['PUT', schemas.replace, 'replace'],
        ['PATCH', schemas.patch, 'patch'],
      ] as const) {
        app.route({
          method,
          url: `/${path}/:id`,
          ...bodyLimit,
          schema: {
            tags,
            security,
            summary: mode === 'replace' ? `Replace a ${noun} (omitted fields go back to their defaults; the position stays)` : `Change some fields of a ${noun}`,
            description: `${CONCURRENCY} ${EXTRA[kind]} ${WRITE}`,
            params: IdParams,
            headers: IfMatchHeaders,
            body,
            response: { 200: schemas.view, ...errorResponses(400, 401, 403, 404, 409, 412, 413, 422) },
          },
          handler: async (request, reply) => {
            const { version, ...input } = request.body as Record<string, unknown> & { version?: number }
            const view = await children.update(requireActor(request), kind, request.params.id, input, precondition(request, version), mode)
            return answer(reply, kind, withETag(reply, view as { version: number }))
          },
        })
      }

      app.delete(
        `/${path}/:id`,
        {
          schema: { tags, security, summary: `Delete a ${noun}`, description: WRITE, params: IdParams, response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) } },
        },
        async (request, reply) => {
          await children.remove(requireActor(request), kind, request.params.id)
          return reply.code(204).send(null)
        },
      )
    }

    await app.register(uploadsRoutes(api))

    app.put(
      '/projects/:id/order',
      {
        schema: {
          tags,
          security,
          summary: 'Reorder a project’s stories, images or drawings',
          description: `Each kind given lists every item of that kind in the project exactly once, in the new order (else 422 COLORBOOK_ORDER_INVALID with details {kind, repeated, unknown, missing}); positions become 0, 1, 2…, and each item that moved gets a new version. ${WRITE}`,
          params: IdParams,
          body: S.OrderBody,
          response: { 200: S.OrderResult, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => children.reorder(requireActor(request), request.params.id, request.body),
    )
  }
}
