import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { isUuid } from '../../core/db/columns.js'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import Type from 'typebox'
import { requirePermission } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import { matchesEtag } from '../../core/files/http-range.js'
import { errorResponses, IdParams, Uuid } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { labelSheet, LABELS_PER_PAGE } from './labels.pdf.js'
import { CYLINDERS_MANAGE, CYLINDERS_READ } from './permissions.js'
import { QR_CONTENT_TYPES, QR_FORMATS, QR_SIZE, qrEtag, qrFileName, renderQr } from './qr-image.js'

const tags = ['cylinders']
const security = [{ bearerAuth: [] }]

/** One sheet per request: bounded work and memory (≈ 0.5 MB of PDF, well under a second to draw). */
export const MAX_LABELS = 500

const QrQuery = Type.Object(
  {
    size: Type.Optional(
      Type.Integer({ format: 'int32', minimum: QR_SIZE.min, maximum: QR_SIZE.max, default: QR_SIZE.default, description: `Width and height in pixels (${QR_SIZE.min}–${QR_SIZE.max}); the SVG's intrinsic size` }),
    ),
  },
  { additionalProperties: false },
)

const LabelsQuery = Type.Object(
  { ids: Type.String({ maxLength: 40_000, description: `Comma-separated cylinder ids, 1–${MAX_LABELS}, one label each in this order (repeat an id for two labels)` }) },
  { additionalProperties: false },
)
const LabelsBody = Type.Object(
  { ids: Type.Array(Uuid, { minItems: 1, maxItems: MAX_LABELS, description: 'Cylinder ids, one label each in this order' }) },
  { additionalProperties: false },
)

/** A binary body of at most `maxBytes` (generous: a QR image is a few kB, a full label sheet about 0.5 MB). */
const bytes = (contentType: string, description: string, maxBytes: number) => ({
  description,
  content: { [contentType]: { schema: { type: 'string', format: 'binary', maxLength: maxBytes } } },
})

const labelsDescription = `An A4 sheet for Avery L7159-type label paper (3 × 8 labels, ${LABELS_PER_PAGE} a page, more pages as needed): each label has the QR code, the serial number and the gas type with the capacity. Unknown ids answer 404 with \`details.missing\`.`

export function labelsRoutes(api: CylindersApi): FastifyPluginAsync {
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
          const cylinder = await cylinders.get(request.params.id)
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

    const sendSheet = async (reply: FastifyReply, ids: readonly string[]) => {
      // Everything that can fail happens before the first byte, so errors still go out as JSON.
      const rows = await cylinders.many(ids)
      return reply
        .type('application/pdf')
        .headers({ 'content-disposition': 'attachment; filename="cylinder-labels.pdf"', 'cache-control': 'private, no-store' })
        .send(labelSheet(rows))
    }
    const pdfResponse = { 200: bytes('application/pdf', 'The label sheet (application/pdf, as an attachment)', 10_000_000), ...errorResponses(400, 401, 403, 404) }

    app.get(
      '/cylinders/labels.pdf',
      {
        preHandler: requirePermission(access, CYLINDERS_MANAGE),
        schema: {
          tags,
          security,
          summary: 'Print QR labels (admin)',
          description: `${labelsDescription} Long lists may not fit in a URL: POST them instead.`,
          querystring: LabelsQuery,
          response: pdfResponse,
        },
      },
      async (request, reply) => sendSheet(reply, parseIds(request.query.ids)),
    )

    app.post(
      '/cylinders/labels.pdf',
      {
        preHandler: requirePermission(access, CYLINDERS_MANAGE),
        schema: {
          tags,
          security,
          summary: 'Print QR labels for a long list (admin)',
          description: `The same sheet as GET, for lists too long for a URL (servers refuse request lines over ~16 KB, about 400 ids). ${labelsDescription}`,
          body: LabelsBody,
          response: pdfResponse,
        },
      },
      async (request, reply) => sendSheet(reply, request.body.ids.map((id) => id.toLowerCase())),
    )
  }
}


/** `a,b, c,` → ids in order, lower-cased to match stored ids; empty items (a trailing comma) are skipped. */
export function parseIds(raw: string): string[] {
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean)
  const problem = idsProblem(ids)
  if (problem) throw new AppError('VALIDATION_FAILED', `The request is invalid: query.ids ${problem}.`, { 'query.ids': problem })
  return ids.map((id) => id.toLowerCase())
}

function idsProblem(ids: string[]): string | undefined {
  if (ids.length === 0) return 'must list at least one cylinder id'
  if (ids.length > MAX_LABELS) return `lists ${ids.length} ids; at most ${MAX_LABELS} per sheet`
  const invalid = ids.filter((id) => !isUuid(id))
  if (invalid.length === 0) return undefined
  const shown = invalid.slice(0, 5).map((id) => (id.length > 40 ? `${id.slice(0, 40)}…` : id))
  return `has values that are not UUIDs: ${shown.join(', ')}${invalid.length > 5 ? ', …' : ''}`
}
