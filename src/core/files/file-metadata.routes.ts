import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { toFileView } from './file.view.js'
import { security, tags, type FilesRouteOptions } from './files-routes.shared.js'
import * as S from './files.schemas.js'

/** Your files, your storage use, one file's metadata, and deleting a file. */
export async function fileMetadataRoutes(instance: FastifyInstance, { files, maxUploadBytes }: Pick<FilesRouteOptions, 'files' | 'maxUploadBytes'>): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

  app.get(
    '/files',
    {
      schema: { tags, security, summary: 'Your files', description: 'Newest first, cursor-paginated.', querystring: S.FileListQuery, response: { 200: S.FilePage, ...errorResponses(400, 401) } },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query
      return files.list(requireActor(request), { limit, ...(cursor ? { cursor } : {}) })
    },
  )

  app.get(
    '/files/usage',
    { schema: { tags, security, summary: 'Storage you use', description: 'What your files take up, your storage quota and the largest file an upload may be.', response: { 200: S.Usage, ...errorResponses(401) } } },
    async (request) => {
      const { id } = requireActor(request)
      const usage = await files.usage(id)
      return { bytesUsed: usage.bytes, files: usage.files, maxUploadBytes, quotaBytes: await files.quotaOf(id) }
    },
  )

  app.get(
    '/files/:id',
    {
      schema: { tags, security, summary: 'File metadata', description: 'The owner and holders of files:manage; anyone else gets 404.', params: IdParams, response: { 200: S.FileRef, ...errorResponses(400, 401, 404) } },
    },
    async (request) => toFileView(await files.get(requireActor(request), request.params.id)),
  )

  app.delete(
    '/files/:id',
    {
      schema: { tags, security, summary: 'Delete a file', description: 'Removes the file, its thumbnail and its bytes from your usage. The owner and holders of files:manage.', params: IdParams, response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses(400, 401, 404) } },
    },
    async (request, reply) => {
      await files.remove(requireActor(request), request.params.id)
      return reply.code(204).send(null)
    },
  )
}
