import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { security, tags, type FilesRouteOptions } from './files-routes.shared.js'
import type { FilesService, Served } from './files.service.js'
import * as S from './files.schemas.js'
import { matchesEtag, parseRange } from './http-range.js'
import { DEFAULT_LINK_SECONDS } from './signed-links.js'

const bytesHeaders = 'Served with the sniffed Content-Type, Content-Disposition, `X-Content-Type-Options: nosniff` and an ETag (If-None-Match → 304).'

/** A file's bytes and its thumbnail, with a bearer token or through a signed link, and such links. */
export async function fileContentRoutes(instance: FastifyInstance, { files }: Pick<FilesRouteOptions, 'files'>): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

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
