import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import { DRAWING_MAX_BYTES } from './domain.js'
import { security, tags } from './projects.routes.js'
import * as S from './sync.schemas.js'
import { PULL_DEFAULT_LIMIT, type Mutation } from './sync.service.js'

/** A push may carry one largest drawing with room to spare. */
const PUSH_BODY_LIMIT = DRAWING_MAX_BYTES + 3 * 1024 * 1024

/** GET /sync/changes and POST /sync/push (docs/colorbook-sync.md). */
export function syncRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { sync } = api

    app.get(
      '/sync/changes',
      {
        schema: {
          tags,
          security,
          summary: 'Pull changes',
          description:
            'Every change to the projects you own or collaborate on, their stories, images, drawings, characters, style presets and versions, after `since`, in log order, each with the entity’s current data (null: a tombstone). A change committing late is never skipped: changes of transactions still running hold later ones back until they end. Without `since`: from the beginning, one change per entity, without the ones already deleted. `cursor` is always set; an unknown cursor is 400 INVALID_CURSOR.',
          querystring: S.ChangesQuery,
          response: { 200: S.ChangesPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => sync.changes(requireActor(request), request.query.since, request.query.limit ?? PULL_DEFAULT_LIMIT),
    )

    app.post(
      '/sync/push',
      {
        bodyLimit: PUSH_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Push offline changes',
          description:
            'Each mutation is applied in order through the same rules as REST (access, validation, plan limits, versions) and answered on its own: `applied` with the new version, `conflict` with the server’s copy (a stale `baseVersion`), or `error` with the code REST would give. A mutation id already applied returns its stored result and changes nothing. The request itself answers 200.',
          body: S.PushBody,
          response: { 200: S.PushResult, ...errorResponses(400, 401, 403, 413, 415) },
        },
      },
      async (request) => ({ results: await sync.push(requireActor(request), request.body.mutations as Mutation[], api) }),
    )
  }
}
