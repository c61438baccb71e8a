import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { withETag } from '../../core/http/resource/resource-routes.shared.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import { ExportDocument } from './export-document.js'
import * as S from './exports.schemas.js'
import { ProjectView } from './project.view.js'
import { security, tags } from './projects.routes.js'

/** The largest JSON document the import reads (a thousand drawings of strokes would be more). */
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024
const ACCESS = 'Another user’s project is 404.'

/** Exports (a job each; PDF or JSON) and the import of a JSON export as a new project. */
export function exportsRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { exports, imports } = api

    app.post(
      '/projects/:id/export',
      {
        schema: {
          tags,
          security,
          summary: 'Export a project',
          description: `Queues an export (the job colorbook.export) and answers 202 with its record: poll GET …/exports/:exportId. pdf: a print-ready colouring book at the project’s page format — a cover, each story’s text followed by the images illustrating it, the other images and the drawings (as vector paths), one page each — watermarked unless the owner’s plan has exportWithoutWatermark, with no ColorBook mark on white-label plans (the owner’s branding on the cover instead). json: the document POST /api/projects/import takes. Any reader may export. ${ACCESS}`,
          params: IdParams,
          body: S.ExportBody,
          response: { 202: S.ExportView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => reply.code(202).send(await exports.request(requireActor(request), request.params.id, request.body.format)),
    )

    app.get(
      '/projects/:id/exports/:exportId',
      {
        schema: {
          tags,
          security,
          summary: 'An export’s status and result',
          description: `Your own export of the project: queued, running, done (with \`file\`: the result, one of your files, and a signed link valid for an hour) or failed (with \`error\`). Someone else’s export: 404. ${ACCESS}`,
          params: S.ExportParams,
          response: { 200: S.ExportView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => exports.get(requireActor(request), request.params.id, request.params.exportId),
    )

    app.post(
      '/projects/import',
      {
        bodyLimit: IMPORT_MAX_BYTES,
        schema: {
          tags,
          security,
          summary: 'Import a JSON export as a new project',
          description:
            'The document GET …/exports gives for format json (format colorbook.project, version 1), as a new project of yours with new ids, in one transaction. Unknown fields or another version: 400. An image naming a story, style or character the document lacks: 422 COLORBOOK_REFERENCE_INVALID. A cover, image or reference file you may not read: 422 COLORBOOK_FILE_INVALID with details.fileIds. Past your plan’s projects limit: 402 PLAN_LIMIT_REACHED. Nothing is stored on any refusal. At most 64 MiB.',
          body: ExportDocument,
          response: { 201: ProjectView, ...errorResponses(400, 401, 402, 403, 413, 422) },
        },
      },
      async (request, reply) => withETag(reply.code(201), await imports.importProject(requireActor(request), request.body)),
    )
  }
}
