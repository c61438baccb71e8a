import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { sentMediaType } from '../http/media-type.js'
import { errorResponses } from '../http/schemas.js'
import { sanitizeFileName } from './file-names.js'
import { toFileView } from './file.view.js'
import { security, tags, type FilesRouteOptions } from './files-routes.shared.js'
import * as S from './files.schemas.js'
import { uploadLimit } from './upload-limit.js'

/** The platform's path, and the one seed 003 (chat) names. */
const UPLOAD_PATHS = ['/files', '/files/upload'] as const

/**
 * POST /files (and /files/upload, seed 003's name for it). Multipart bodies are parsed on this route
 * alone, as streams (its own plugin context): any other route, here or elsewhere, answers 415 to one.
 */
export async function fileUploadRoutes(instance: FastifyInstance, { files, maxUploadBytes, uploadRateLimitPerMinute }: FilesRouteOptions): Promise<void> {
  const upload = instance.withTypeProvider<TypeBoxTypeProvider>()
  await upload.register(multipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 } })
  const limited = await uploadLimit(upload, uploadRateLimitPerMinute)
  const schema = {
    tags,
    security,
    summary: 'Upload a file',
    description:
      'multipart/form-data with one file part, streamed to storage. The type is decided from the bytes: other types are 415 FILE_TYPE_NOT_ALLOWED, files over the upload limit (`maxUploadBytes` from GET /api/files/usage) are 413 FILE_TOO_LARGE, files that do not fit your storage quota are 413 STORAGE_QUOTA_EXCEEDED, and with a virus scanner infected files are 422 FILE_INFECTED; a refused file is not stored. Too many uploads in a minute are 429 RATE_LIMITED with Retry-After (POST /api/files and POST /api/files/upload are one route and count together). Images get a WebP thumbnail.',
    consumes: ['multipart/form-data'],
    body: S.UploadBody,
    response: { 201: S.FileRef, ...errorResponses(400, 401, 413, 415, 422, 429, 503) },
  }
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const actor = requireActor(request)
    if (!request.isMultipart()) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data.', { contentType: sentMediaType(request), accepted: ['multipart/form-data'] })
    }
    const part = await request.file().catch((error: unknown) => Promise.reject(malformed(error)))
    if (!part) throw new AppError('VALIDATION_FAILED', 'The request has no file part.', { file: 'is required' })
    const upload = { name: sanitizeFileName(part.filename), body: part.file, truncated: () => part.file.truncated, drainOnRefusal: true }
    const file = await files.create(actor.id, upload)
    return reply.code(201).header('location', `/api/files/${file.id}`).send(toFileView(file))
  }
  for (const path of UPLOAD_PATHS) {
    upload.post(path, {
      // A copy per path: the OpenAPI hook gives each route object its own operationId.
      schema: { ...schema },
      // One preHandler for both paths, so they share one upload counter per account.
      preHandler: limited,
      // The body is a stream read by the handler, not a parsed object to validate.
      validatorCompiler: () => () => true,
    }, handle)
  }
}

/** busboy's own errors (no boundary, a cut body) are the client's; the plugin's carry their status. */
function malformed(error: unknown): Error {
  const status = (error as { statusCode?: number }).statusCode
  if (error instanceof AppError || (error instanceof Error && status !== undefined && status < 500)) return error
  return Object.assign(new AppError('BAD_REQUEST', 'The multipart body is malformed.'), { cause: error })
}
