import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { IfMatchHeaders, precondition, withETag } from '../../core/http/resource/resource-routes.shared.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import { ProjectView } from './project.view.js'
import { CONCURRENCY, security, tags } from './projects.routes.js'
import * as S from './templates.schemas.js'

const HIDDEN = 'A private or hidden template is 404 to all but its author and moderators.'
const AUTHOR = 'Its author or a moderator (colorbook:templates:moderate); anyone else: 403 COLORBOOK_TEMPLATE_AUTHOR_ONLY.'

/** The template marketplace: list, read, publish, change, delete, use, rate. */
export function templatesRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { templates } = api

    app.get(
      '/templates',
      {
        schema: {
          tags,
          security,
          summary: 'List the template marketplace',
          description:
            'Public templates not hidden by a moderator (`mine=true`: your own instead, private and hidden ones too). Filters `category` (any case), `tag`, `premium`, `q` (title or description contains); `sort` newest (default), rating or usage, highest first; cursor-paginated.',
          querystring: S.TemplateListQuery,
          response: { 200: S.TemplatePage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor, sort, ...filters } = request.query
        return templates.list(requireActor(request), filters, { limit, ...(cursor ? { cursor } : {}), ...(sort ? { sort } : {}) })
      },
    )

    app.get(
      '/templates/:id',
      { schema: { tags, security, summary: 'Get a template', description: HIDDEN, params: IdParams, response: { 200: S.TemplateView, ...errorResponses(400, 401, 403, 404) } } },
      async (request, reply) => withETag(reply, await templates.get(requireActor(request), request.params.id)),
    )

    app.post(
      '/projects/:id/publish',
      {
        schema: {
          tags,
          security,
          summary: 'Publish a project as a template',
          description:
            'A snapshot of the project and all its children (not a live link: later changes to the project do not reach it), by the project’s owner only (403 COLORBOOK_OWNER_ONLY; another user’s project 404; a trashed one 409 COLORBOOK_PROJECT_TRASHED). The title defaults to the project’s; `public` defaults to true, `premium` to false. The files it uses become readable by whoever sees the template. A snapshot larger than the server allows as JSON (`COLORBOOK_TEMPLATE_MAX_BYTES`, default 10 MiB): 413 COLORBOOK_TEMPLATE_TOO_LARGE {sizeBytes, allowed}, nothing stored.',
          params: IdParams,
          body: S.PublishBody,
          response: { 201: S.TemplateView, ...errorResponses(400, 401, 403, 404, 409, 413) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await templates.publish(requireActor(request), request.params.id, request.body)),
    )

    app.put(
      '/templates/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Replace a template’s listing',
          description: `Title, description, category, tags, premium, public (omitted ones back to their defaults; the snapshot stays). \`hidden\` is for moderators only (403 COLORBOOK_TEMPLATE_MODERATOR_ONLY). ${CONCURRENCY} ${AUTHOR} ${HIDDEN}`,
          params: IdParams,
          headers: IfMatchHeaders,
          body: S.ReplaceTemplateBody,
          response: { 200: S.TemplateView, ...errorResponses(400, 401, 403, 404, 409, 412) },
        },
      },
      async (request, reply) => {
        const { version, ...input } = request.body
        return withETag(reply, await templates.replace(requireActor(request), request.params.id, input, precondition(request, version)))
      },
    )

    app.delete(
      '/templates/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a template',
          description: `With its ratings; projects made from it keep their content (their templateId becomes null). ${AUTHOR}`,
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await templates.remove(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/templates/:id/use',
      {
        schema: {
          tags,
          security,
          summary: 'Make a project from a template',
          description: `A new project of yours with the snapshot’s content (new ids; files shared, not copied), \`templateId\` set, in one transaction with the template’s usage count. A premium template needs a plan with premium templates (its author excepted): else 402 PLAN_LIMIT_REACHED with details {limit: "premiumTemplates", plan}. Past your plan’s \`projects\` limit: 402 PLAN_LIMIT_REACHED with details {limit: "projects", used, allowed, plan}. Nothing is stored on a refusal. ${HIDDEN}`,
          params: IdParams,
          response: { 201: ProjectView, ...errorResponses(400, 401, 402, 403, 404) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await templates.use(requireActor(request), request.params.id)),
    )

    app.put(
      '/templates/:id/rating',
      {
        schema: {
          tags,
          security,
          summary: 'Rate a template',
          description: `1–5, one per user (rating again replaces yours). Not your own template (403 COLORBOOK_TEMPLATE_OWN_RATING). ${HIDDEN}`,
          params: IdParams,
          body: S.RatingBody,
          response: { 200: S.RatingView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => templates.rate(requireActor(request), request.params.id, request.body.rating),
    )

    app.delete(
      '/templates/:id/rating',
      {
        schema: {
          tags,
          security,
          summary: 'Take back your rating',
          description: `Without a rating of yours nothing changes (204 all the same). ${HIDDEN}`,
          params: IdParams,
          response: { 204: Type.Null({ description: 'Your rating is gone' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await templates.unrate(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
