import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import * as S from './branding.schemas.js'
import { security, tags } from './projects.routes.js'

/** GET/PUT /branding: the caller's white-label branding. */
export function brandingRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { branding } = api

    app.get(
      '/branding',
      {
        schema: {
          tags,
          security,
          summary: 'Get your branding',
          description: 'Your name, logo and colours for PDF exports and your collaborators’ e-mails, and whether your plan applies them (`active`). Never set: empty fields.',
          response: { 200: S.BrandingView, ...errorResponses(401, 403) },
        },
      },
      async (request) => branding.get(requireActor(request)),
    )

    app.put(
      '/branding',
      {
        schema: {
          tags,
          security,
          summary: 'Set your branding',
          description:
            'Replaces it whole (omitted fields are cleared). Plans with white label only (enterprise): else 402 PLAN_LIMIT_REACHED with details {limit: "whiteLabel", plan}, nothing stored. The logo must be one of your PNG, JPEG or WebP files (422 COLORBOOK_FILE_INVALID); colours #rrggbb (else 400).',
          body: S.BrandingBody,
          response: { 200: S.BrandingView, ...errorResponses(400, 401, 402, 403, 422) },
        },
      },
      async (request) => branding.put(requireActor(request), request.body),
    )
  }
}
