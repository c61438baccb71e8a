import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { toCylinderView } from './cylinder.view.js'
import { Cylinder, CylinderRef } from './cylinders.schemas.js'
import { CylinderImporter, decodeCsv, IMPORT_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from './import.service.js'
import { CYLINDERS_MANAGE } from './permissions.js'

const ImportResult = Type.Object(
  {
    imported: Type.Integer({ format: 'int32', minimum: 1, maximum: MAX_IMPORT_ROWS, description: 'How many cylinders were added' }),
    items: Type.Array(CylinderRef, { maxItems: MAX_IMPORT_ROWS, description: 'The new cylinders, in the order of the rows' }),
  },
  { title: 'CylinderImportResult', description: 'Every row was imported' },
)

const CsvBody = Type.String({
  maxLength: MAX_IMPORT_BYTES,
  description: `UTF-8 (or the charset the Content-Type names), at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB and ${MAX_IMPORT_ROWS} rows, comma-, semicolon- or tab-separated. A header row names the columns, in any order, without regard to case, spaces or underscores: ${IMPORT_COLUMNS.join(', ')}. serialNumber and gasType are required; dates are YYYY-MM-DD; status is available (the default), returned or quarantined.`,
  examples: ['serialNumber,gasType,capacityLiters,nextTestDue\nSN-1001,CO2,50,2030-01-31\n'],
})

const description =
  'All or nothing: every row is checked first, and any problem answers 422 CYLINDER_IMPORT_INVALID with `details.rows` (up to 100 of `{ line, errors: { column: problem } }`, line 1 being the header), `invalidRows` and `totalRows`; unknown, repeated or missing columns are named in `details`. Serial numbers repeated in the file or already in use are row errors. Each imported cylinder gets a QR code and an `imported` history event.'

export function importRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const importer = new CylinderImporter(api.store, api.cylinders)
    if (!app.getSchema('Cylinder')) app.addSchema(Cylinder)

    // CSV bodies only in this plugin (encapsulated): no other route accepts them.
    app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (request, body, done) => {
      try {
        done(null, decodeCsv(body as Buffer, request.headers['content-type']))
      } catch (error) {
        done(error as Error)
      }
    })

    app.post(
      '/cylinders/import',
      {
        bodyLimit: MAX_IMPORT_BYTES,
        // Checked on arrival, so a body from someone who may not import is never read.
        onRequest: [requirePermission(api.access, CYLINDERS_MANAGE), requireCsv],
        schema: {
          tags: ['cylinders'],
          security: [{ bearerAuth: [] }],
          summary: 'Import cylinders from a CSV file (admin)',
          description,
          body: { content: { 'text/csv': { schema: CsvBody } } },
          response: { 201: ImportResult, ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const rows = await importer.import(requireActor(request), request.body as string)
        return reply.code(201).send({ imported: rows.length, items: rows.map(toCylinderView) })
      },
    )
  }
}

/** JSON would parse too, into something that is not a file: only text/csv is an import. */
async function requireCsv(request: FastifyRequest): Promise<void> {
  const mediaType = request.headers['content-type']?.split(';', 1)[0]!.trim().toLowerCase()
  if (mediaType !== 'text/csv') throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as the body with Content-Type: text/csv.', { contentType: mediaType ?? null })
}
