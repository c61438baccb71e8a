import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { matchesEtag } from '../../core/files/http-range.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { bytes, security, tags } from './cylinders-routes.shared.js'
import { CYLINDERS_READ } from './permissions.js'
import { QR_CONTENT_TYPES, QR_FORMATS, QR_SIZE, qrEtag, qrFileName, renderQr } from './qr-image.js'

const QrQuery = Type.Object(
  {
    size: Type.Optional(
      Type.Integer({ format: 'int32', minimum: QR_SIZE.min, maximum: QR_SIZE.max, default: QR_SIZE.default, description: `Width and height in pixels (${QR_SIZE.min}–${QR_SIZE.max}); the SVG's intrinsic size` }),
    ),
  },
  { additionalProperties: false },
)

/** GET /cylinders/:id/qr.png and qr.svg: one cylinder's code as an image. */
export function qrRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { access, cylinders } = api

    for (const format of QR_FORMATS) {
      app.get(
        `/cylinders/:id/qr.${format}`,
        {
          preHandler: requirePermission(access, CYLINDERS_READ),
          schema: {
            tags,
            security,
            summary: `A cylinder's QR code as ${format.toUpperCase()}`,
            description:
              'The code its label encodes (error correction M, with the standard quiet zone). The ETag changes when a reprint gives the cylinder a new code; send If-None-Match to get 304.',
            params: IdParams,
            querystring: QrQuery,
            response: {
              200: bytes(QR_CONTENT_TYPES[format], `The QR code (${QR_CONTENT_TYPES[format]})`, 1_000_000),
              304: { type: 'null', description: 'Not modified (If-None-Match)' },
              ...errorResponses(400, 401, 403, 404),
            },
          },
        },
        async (request, reply) => {
          const cylinder = await cylinders.get(requireActor(request), request.params.id)
          const size = request.query.size ?? QR_SIZE.default
          const etag = qrEtag(cylinder.qrCode, format, size)
          // no-cache: a browser may keep the image but asks every time, so a reprint shows at once.
          reply.headers({ etag, 'cache-control': 'private, no-cache' })
          if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
          const image = await renderQr(format, cylinder.qrCode, size)
          return reply
            .type(QR_CONTENT_TYPES[format])
            .header('content-disposition', `inline; filename="${qrFileName(cylinder.serialNumber, format)}"`)
            .send(image)
        },
      )
    }
  }
}
