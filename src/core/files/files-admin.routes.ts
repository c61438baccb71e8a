import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { PermissionRegistry } from '../access/permissions.js'
import { requireActor, requirePermission } from '../access/require-permission.js'
import { requestMeta } from '../auth/request-meta.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import * as S from './files-admin.schemas.js'
import type { FilesAdminService } from './files-admin.service.js'
import { FILES_MANAGE } from './permissions.js'

export interface FilesAdminRouteOptions {
  filesAdmin: FilesAdminService
  access: PermissionRegistry
}

const tags = ['files-admin']
const security = [{ bearerAuth: [] }]

/** /admin/files: every owner's files, storage use per owner, and deletion (files:manage). */
export async function filesAdminRoutes(instance: FastifyInstance, { filesAdmin, access }: FilesAdminRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  // On request, before validation: anonymous and unprivileged callers learn nothing about the inputs.
  const manage = requirePermission(access, FILES_MANAGE)

  app.get(
    '/admin/files',
    {
      onRequest: manage,
      schema: {
        tags,
        security,
        summary: 'Every owner’s files (admin)',
        description:
          'Newest first, or largest first with `sort=-size`; cursor-paginated. Filter by owner, content type (`image/*` for a family), size range and upload time range (inclusive). from > to or minSize > maxSize is 400.',
        querystring: S.AdminFileQuery,
        response: { 200: S.AdminFilePage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, ...filters } = request.query
      return filesAdmin.list(requireActor(request), { limit, ...filters })
    },
  )

  app.get(
    '/admin/files/usage',
    {
      onRequest: manage,
      schema: {
        tags,
        security,
        summary: 'Storage use per owner (admin)',
        description: 'Owners with at least one file, by bytes stored, largest first, with the quota that applies to each; cursor-paginated. `ownerId` gives one owner.',
        querystring: S.OwnerUsageQuery,
        response: { 200: S.OwnerUsagePage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, ...filters } = request.query
      return filesAdmin.usage(requireActor(request), { limit, ...filters })
    },
  )

  app.delete(
    '/admin/files/:id',
    {
      onRequest: manage,
      schema: {
        tags,
        security,
        summary: 'Delete any file (admin)',
        description: 'Removes the file, its thumbnail and its bytes from the owner’s usage, audited as `file.deleted` (owner, size and type; not the name).',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await filesAdmin.remove(requireActor(request), request.params.id, requestMeta(request))
      return reply.code(204).send(null)
    },
  )
}
