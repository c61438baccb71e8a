import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { withETag } from '../../core/http/resource/resource-routes.shared.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import { security, tags } from './projects.routes.js'
import * as S from './versions.schemas.js'

const ACCESS = 'Another user’s project is 404.'
const PLAN =
  'Versions kept per project are the owner’s plan `versionsPerProject`: the oldest automatic (then system) versions make room; when named versions alone fill it: 402 PLAN_LIMIT_REACHED {limit: "versionsPerProject", used, allowed, plan}, nothing stored.'
const WRITE = 'Owner or editor (a viewer: 403 COLORBOOK_READ_ONLY); a trashed project: 409 COLORBOOK_PROJECT_TRASHED.'

/** GET/POST /projects/:id/versions, GET/DELETE /projects/:id/versions/:versionId, POST …/restore. */
export function versionsRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { versions } = api

    app.get(
      '/projects/:id/versions',
      {
        schema: {
          tags,
          security,
          summary: 'List a project’s versions',
          description: `Newest first, without their snapshots; \`kind\` filters. Any reader. ${ACCESS}`,
          params: IdParams,
          querystring: S.VersionListQuery,
          response: { 200: S.VersionPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, cursor, kind } = request.query
        return versions.list(requireActor(request), request.params.id, { limit, ...(cursor ? { cursor } : {}), ...(kind ? { kind } : {}) })
      },
    )

    app.post(
      '/projects/:id/versions',
      {
        schema: {
          tags,
          security,
          summary: 'Save a version of a project',
          description: `A snapshot of the project and all its children. With \`label\`: a named version, kept until its owner deletes it; without: an automatic one. ${WRITE} ${PLAN} ${ACCESS}`,
          params: IdParams,
          body: S.CreateVersionBody,
          response: { 201: S.VersionView, ...errorResponses(400, 401, 402, 403, 404, 409, 413) },
        },
      },
      async (request, reply) => reply.code(201).send(await versions.create(requireActor(request), request.params.id, request.body.label)),
    )

    app.get(
      '/projects/:id/versions/:versionId',
      {
        schema: {
          tags,
          security,
          summary: 'Get a version with its snapshot',
          description: `The project and its stories, images, drawings, characters and style presets as they were. Any reader. ${ACCESS}`,
          params: S.VersionParams,
          response: { 200: S.VersionDocument, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => versions.get(requireActor(request), request.params.id, request.params.versionId),
    )

    app.post(
      '/projects/:id/versions/:versionId/restore',
      {
        schema: {
          tags,
          security,
          summary: 'Restore a version',
          description: `In one transaction: a \`system\` version of the current state first, then the project and all its children as the version has them (items added since are deleted, items deleted since come back with their ids), every restored row at a new version. ${WRITE} ${PLAN} ${ACCESS}`,
          params: S.VersionParams,
          response: { 200: S.RestoreResult, ...errorResponses(400, 401, 402, 403, 404, 409, 413) },
        },
      },
      async (request, reply) => {
        const result = await versions.restore(requireActor(request), request.params.id, request.params.versionId)
        withETag(reply, result.project)
        return result
      },
    )

    app.delete(
      '/projects/:id/versions/:versionId',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a named version',
          description: `The owner only (403 COLORBOOK_OWNER_ONLY). Automatic and system versions are pruned by themselves: deleting one is 409 COLORBOOK_VERSION_NOT_NAMED. ${ACCESS}`,
          params: S.VersionParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await versions.remove(requireActor(request), request.params.id, request.params.versionId)
        return reply.code(204).send(null)
      },
    )
  }
}
