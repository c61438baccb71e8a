import type { FastifyInstance } from 'fastify'
import { fileContentRoutes } from './file-content.routes.js'
import { fileMetadataRoutes } from './file-metadata.routes.js'
import { fileUploadRoutes } from './file-upload.routes.js'
import type { FilesRouteOptions } from './files-routes.shared.js'
import * as S from './files.schemas.js'

export type { FilesRouteOptions } from './files-routes.shared.js'

/** /files: upload (multipart in its own plugin context), metadata and deletion, content and signed links. */
export async function filesRoutes(app: FastifyInstance, { files, maxUploadBytes, uploadRateLimitPerMinute }: FilesRouteOptions): Promise<void> {
  app.addSchema(S.FileMetadata)
  await app.register(fileUploadRoutes, { files, maxUploadBytes, uploadRateLimitPerMinute })
  await app.register(fileMetadataRoutes, { files, maxUploadBytes })
  await app.register(fileContentRoutes, { files })
}
