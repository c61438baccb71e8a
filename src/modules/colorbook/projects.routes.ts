import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { IfMatchHeaders, precondition, withETag } from '../../core/http/resource/resource-routes.shared.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import { drawingJson, sendJson, withMember } from './child.view.js'
import { ProjectView } from './project.view.js'
import * as S from './projects.schemas.js'
import type { Include, ProjectInput } from './projects.service.js'
import { COLORBOOK_USE } from './permissions.js'

export const tags = ['colorbook']
export const security = bearer(COLORBOOK_USE)
export const CONCURRENCY =
  'Send the version you edit: `version` in the body (stale: 409 VERSION_CONFLICT) or `If-Match: "<version>"` (stale: 412 PRECONDITION_FAILED); both errors carry the current record in `details.current`. Neither: 400.'
const ACCESS = 'Another user’s project is 404; a viewer’s write 403 COLORBOOK_READ_ONLY.'
const PLAN = 'Past your plan’s `projects` limit (projects outside the trash): 402 PLAN_LIMIT_REACHED with details {limit, used, allowed, plan}; nothing is stored.'

/** Projects: list, read (with children), create, replace, change, trash or purge, restore, duplicate. */
export function projectsRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { projects } = api

    app.get(
      '/projects',
      {
        schema: {
          tags,
          security,
          summary: 'List your projects',
          description:
            'Your own projects and those shared with you (each with your `role`), outside the trash; `trashed=true` lists your own trashed ones instead. Filters `q`, `tag`, `templateId`, `updatedAfter`; `sort` by updatedAt, createdAt or title (prefix - for descending); cursor-paginated.',
          querystring: S.ProjectListQuery,
          response: { 200: S.ProjectPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor, sort, updatedAfter, ...filters } = request.query
        return projects.list(requireActor(request), { ...filters, ...(updatedAfter ? { updatedAfter: new Date(updatedAfter) } : {}) }, { limit, ...(cursor ? { cursor } : {}), ...(sort ? { sort } : {}) })
      },
    )

    app.get(
      '/projects/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Get a project',
          description: `With \`include=stories,images,drawings\` the whole document in one answer. A trashed project is visible to its owner only. ${ACCESS}`,
          params: IdParams,
          querystring: S.IncludeQuery,
          response: { 200: S.ProjectDocument, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const include = (request.query.include?.split(',') ?? []) as Include[]
        const { drawings, ...document } = withETag(reply, await projects.get(requireActor(request), request.params.id, include))
        if (!drawings) return document
        // The drawings' strokes are spliced in as the JSON text PostgreSQL holds (child.view.ts, drawingJson).
        const json = reply.serializeInput(document, S.ProjectDocument as unknown as Record<string, unknown>)
        return sendJson(reply, withMember(json, 'drawings', `[${drawings.map((drawing) => drawingJson(reply, drawing)).join(',')}]`))
      },
    )

    app.post(
      '/projects',
      {
        schema: {
          tags,
          security,
          summary: 'Create a project',
          description: `Yours, at version 1. A cover must be one of your files (422 COLORBOOK_FILE_INVALID). ${PLAN}`,
          body: S.CreateProjectBody,
          response: { 201: ProjectView, ...errorResponses(400, 401, 402, 403, 422) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await projects.create(requireActor(request), request.body)),
    )

    for (const [method, body, mode, summary] of [
      ['PUT', S.ReplaceProjectBody, 'replace', 'Replace a project’s fields (omitted ones go back to their defaults)'],
      ['PATCH', S.PatchProjectBody, 'patch', 'Change some fields of a project'],
    ] as const) {
      app.route({
        method,
        url: '/projects/:id',
        schema: {
          tags,
          security,
          summary,
          description: `${CONCURRENCY} Owner or editor; a trashed project is 409 COLORBOOK_PROJECT_TRASHED. ${ACCESS}`,
          params: IdParams,
          headers: IfMatchHeaders,
          body,
          response: { 200: ProjectView, ...errorResponses(400, 401, 403, 404, 409, 412, 422) },
        },
        handler: async (request, reply) => {
          const { version, ...input } = request.body as ProjectInput & { version?: number }
          return withETag(reply, await projects.update(requireActor(request), request.params.id, input, precondition(request, version), mode))
        },
      })
    }

    app.delete(
      '/projects/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Trash or delete a project',
          description: 'To the trash (restorable for 30 days, then purged), or with `permanent=true` deleted at once with all its children. The owner only (403 COLORBOOK_OWNER_ONLY).',
          params: IdParams,
          querystring: S.DeleteQuery,
          response: { 204: Type.Null({ description: 'Trashed or deleted' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request)
        await (request.query.permanent ? projects.purge(actor, request.params.id) : projects.trash(actor, request.params.id))
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/projects/:id/restore',
      {
        schema: {
          tags,
          security,
          summary: 'Restore a project from the trash',
          description: `The owner only. Not in the trash: 409 COLORBOOK_PROJECT_NOT_TRASHED. ${PLAN}`,
          params: IdParams,
          response: { 200: ProjectView, ...errorResponses(400, 401, 402, 403, 404, 409) },
        },
      },
      async (request, reply) => withETag(reply, await projects.restore(requireActor(request), request.params.id)),
    )

    app.post(
      '/projects/:id/duplicate',
      {
        schema: {
          tags,
          security,
          summary: 'Duplicate a project',
          description: `A copy you own of a project you can read, with every story, image, drawing, character and style (files are shared, not copied), in one transaction. A trashed project: 409 COLORBOOK_PROJECT_TRASHED. ${PLAN}`,
          params: IdParams,
          response: { 201: ProjectView, ...errorResponses(400, 401, 402, 403, 404, 409) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await projects.duplicate(requireActor(request), request.params.id)),
    )
  }
}
