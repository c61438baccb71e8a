import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { sentMediaType } from '../http/media-type.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { sanitizeFileName } from './file-names.js'
import { toFileView } from './file.view.js'
import type { FilesService, Served } from './files.service.js'
import * as S from './files.schemas.js'
import { matchesEtag, parseRange } from './http-range.js'
import { DEFAULT_LINK_SECONDS } from './signed-links.js'

export interface FilesRouteOptions {
  files: FilesService
  maxUploadBytes: number
  /** Uploads per minute per account (per IP when signed out); 0 turns the limit off. */
  uploadRateLimitPerMinute: number
}

const tags = ['files']
const security = [{ bearerAuth: [] }]
const bytesHeaders = 'Served with the sniffed Content-Type, Content-Disposition, `X-Content-Type-Options: nosniff` and an ETag (If-None-Match → 304).'

export async function filesRoutes(instance: FastifyInstance, { files, maxUploadBytes, uploadRateLimitPerMinute }: FilesRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  app.addSchema(S.FileMetadata)

  // Multipart bodies are parsed on the upload route alone, as streams (its own plugin context):
  // any other route, here or elsewhere, answers 415 to one.
  await app.register(async (context) => {
    const upload = context.withTypeProvider<TypeBoxTypeProvider>()
    await upload.register(multipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 } })
    const limited = await uploadLimit(upload, uploadRateLimitPerMinute)
    upload.post(
      '/files',
      {
        schema: {
          tags,
          security,
          summary: 'Upload a file',
          description:
            'multipart/form-data with one file part, streamed to storage. The type is decided from the bytes: other types are 415 FILE_TYPE_NOT_ALLOWED, files over the upload limit (`maxUploadBytes` from GET /api/files/usage) are 413 FILE_TOO_LARGE, files that do not fit your storage quota are 413 STORAGE_QUOTA_EXCEEDED, and with a virus scanner infected files are 422 FILE_INFECTED; a refused file is not stored. Too many uploads in a minute are 429 RATE_LIMITED with Retry-After. Images get a WebP thumbnail.',
          consumes: ['multipart/form-data'],
          body: S.UploadBody,
          response: { 201: S.FileRef, ...errorResponses(400, 401, 413, 415, 422, 429, 503) },
        },
        preHandler: limited,
        // The body is a stream read by the handler, not a parsed object to validate.
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const actor = requireActor(request)
        if (!request.isMultipart()) {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data.', { contentType: sentMediaType(request), accepted: ['multipart/form-data'] })
        }
        const part = await request.file().catch((error: unknown) => Promise.reject(malformed(error)))
        if (!part) throw new AppError('VALIDATION_FAILED', 'The request has no file part.', { file: 'is required' })
        const upload = { name: sanitizeFileName(part.filename), body: part.file, truncated: () => part.file.truncated, drainOnRefusal: true }
        const file = await files.create(actor.id, upload)
        return reply.code(201).header('location', `/api/files/${file.id}`).send(toFileView(file))
      },
    )
  })

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

  for (const variant of ['content', 'thumbnail'] as const) {
    app.get(
      `/files/:id/${variant}`,
      {
        schema: {
          tags,
          security: [{ bearerAuth: [] }, {}],
          summary: variant === 'content' ? 'Download a file' : 'Download the WebP thumbnail of an image',
          description: `With a bearer token (the owner or files:manage), or without one through a signed link (\`expires\` and \`signature\` from GET /api/files/{id}/url). ${bytesHeaders}${variant === 'content' ? ' Single byte ranges are supported (206, 416).' : ' 404 when the file has no thumbnail.'}`,
          params: IdParams,
          querystring: S.ContentQuery,
          response: {
            200: S.bytesResponse(variant === 'content' ? 'The file' : 'The thumbnail (image/webp)'),
            ...(variant === 'content' ? { 206: S.bytesResponse('The requested range') } : {}),
            304: { type: 'null', description: 'Not modified (If-None-Match)' },
            ...errorResponses(400, 401, 403, 404, ...(variant === 'content' ? [416] : [])),
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params
        const { expires, signature } = request.query
        if ((expires === undefined) !== (signature === undefined)) {
          throw new AppError('VALIDATION_FAILED', 'A signed link has both expires and signature.', { [expires === undefined ? 'query.expires' : 'query.signature']: 'is required' })
        }
        const file = signature !== undefined ? await files.getByLink(id, expires!, signature) : await files.get(requireActor(request), id)
        return sendVariant(files, request, reply, files.serve(file, variant))
      },
    )
  }

  app.get(
    '/files/:id/url',
    {
      schema: {
        tags,
        security,
        summary: 'A signed, expiring link to a file',
        description: 'Anyone holding the link can read the file (and its thumbnail) without a token until it expires or the file is deleted.',
        params: IdParams,
        querystring: S.LinkQuery,
        response: { 200: S.SignedLinks, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => files.link(requireActor(request), request.params.id, request.query.expiresIn ?? DEFAULT_LINK_SECONDS),
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

/** busboy's own errors (no boundary, a cut body) are the client's; the plugin's carry their status. */
function malformed(error: unknown): Error {
  const status = (error as { statusCode?: number }).statusCode
  if (error instanceof AppError || (error instanceof Error && status !== undefined && status < 500)) return error
  return Object.assign(new AppError('BAD_REQUEST', 'The multipart body is malformed.'), { cause: error })
}

/** Everything that can fail is settled before a header is set, so errors go out as plain JSON. */
async function sendVariant(files: FilesService, request: FastifyRequest, reply: FastifyReply, served: Served): Promise<FastifyReply> {
  const cache = { etag: served.etag, 'cache-control': 'private, no-cache' }
  if (matchesEtag(request.headers['if-none-match'], served.etag)) return reply.code(304).headers(cache).send()
  const range = served.size === undefined ? undefined : parseRange(request.headers.range, served.size)
  if (range === 'unsatisfiable') throw new AppError('RANGE_NOT_SATISFIABLE', undefined, { size: served.size }, { 'content-range': `bytes */${served.size}` })
  const object = await files.read(served, range)
  reply.headers({
    ...cache,
    'content-type': served.contentType,
    'content-disposition': served.disposition,
    'x-content-type-options': 'nosniff',
    // Nothing in a stored file runs in this origin, even if a browser is told to render it.
    'content-security-policy': "default-src 'none'; sandbox",
    // Signed links are meant for <img>/<a> on the web app's own origin.
    'cross-origin-resource-policy': 'cross-origin',
    'accept-ranges': served.size === undefined ? 'none' : 'bytes',
    'content-length': String(range ? range.end - range.start + 1 : object.size),
  })
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${object.size}`)
  return reply.send(object.body)
}

/**
 * Uploads per account per minute, counted before the body is read; in Redis when configured, so
 * the limit holds across instances, and skipped while Redis is down. Only a refusal carries this
 * limit's x-ratelimit headers: on other responses they describe the general limit.
 */
async function uploadLimit(app: FastifyInstance, perMinute: number): Promise<preHandlerAsyncHookHandler[]> {
  if (perMinute === 0) return []
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    ...(app.platform.redis ? { redis: app.platform.redis, nameSpace: 'plinth:upload-rate:' } : {}),
  })
  return [
    app.rateLimit({
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => (request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many uploads; retry in ${Math.ceil(context.ttl / 1000)} s.`, { limitPerMinute: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
    }),
  ]
}
