import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { errorResponses, Uuid } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { bytes, security, tags } from './cylinders-routes.shared.js'
import { MAX_LABELS, parseIds } from './labels.ids.js'
import { labelSheet, LABELS_PER_PAGE } from './labels.pdf.js'
import { CYLINDERS_MANAGE } from './permissions.js'

const LabelsQuery = Type.Object(
  { ids: Type.String({ maxLength: 40_000, description: `Comma-separated cylinder ids, 1–${MAX_LABELS}, one label each in this order (repeat an id for two labels)` }) },
  { additionalProperties: false },
)
const LabelsBody = Type.Object(
  { ids: Type.Array(Uuid, { minItems: 1, maxItems: MAX_LABELS, description: 'Cylinder ids, one label each in this order' }) },
  { additionalProperties: false },
)

const labelsDescription = `An A4 sheet for Avery L7159-type label paper (3 × 8 labels, ${LABELS_PER_PAGE} a page, more pages as needed): each label has the QR code, the serial number and the gas type with the capacity. Unknown ids answer 404 with \`details.missing\`.`

/** GET and POST /cylinders/labels.pdf: a sheet of QR labels to print. */
export function labelsRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { access, cylinders } = api

    const sendSheet = async (request: FastifyRequest, reply: FastifyReply, ids: readonly string[]) => {
      // Everything that can fail happens before the first byte, so errors still go out as JSON.
      const rows = await cylinders.many(requireActor(request), ids)
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
      async (request, reply) => sendSheet(request, reply, parseIds(request.query.ids)),
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
      async (request, reply) => sendSheet(request, reply, request.body.ids.map((id) => id.toLowerCase())),
    )
  }
}
