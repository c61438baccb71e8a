import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { toCylinderView } from './cylinder.view.js'
import { Cylinder } from './cylinders.schemas.js'
import { CsvBody, importDescription, ImportResult } from './import.schemas.js'
import { CylinderImporter, decodeCsv, MAX_IMPORT_BYTES } from './import.service.js'
import { CylinderAccess, CYLINDERS_MANAGE } from './permissions.js'

/** POST /cylinders/import: a CSV file of cylinders, all or nothing. */
export function importRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const importer = new CylinderImporter(new CylinderAccess(api.access), api.store, api.cylinders)
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
          description: importDescription,
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
