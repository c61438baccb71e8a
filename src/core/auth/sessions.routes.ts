import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { security, tags, type AuthGroupOptions } from './auth-routes.shared.js'
import * as S from './auth.schemas.js'
import { requestMeta } from './request-meta.js'

/** The signed-in account's sessions: list them, end one, end all others. */
export async function sessionsRoutes(instance: FastifyInstance, { identity }: AuthGroupOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { sessions } = identity

  app.get(
    '/auth/sessions',
    { config: { rateLimit: false }, schema: { tags, security, summary: 'Sessions of the signed-in account', description: `Live sessions, most recently used first (at most ${S.MAX_LISTED_SESSIONS}). Not subject to the per-IP limit of /api/auth.`, response: { 200: S.SessionList, ...errorResponses(401) } } },
    async (request) => {
      const actor = requireActor(request)
      const rows = await sessions.list(actor.id)
      return {
        items: rows.slice(0, S.MAX_LISTED_SESSIONS).map((row) => ({
          id: row.id,
          userAgent: row.userAgent,
          ip: row.ip,
          createdAt: row.createdAt.toISOString(),
          lastUsedAt: row.lastUsedAt.toISOString(),
          expiresAt: row.expiresAt.toISOString(),
          current: row.id === actor.sessionId,
        })),
        nextCursor: null,
      }
    },
  )

  app.delete(
    '/auth/sessions/:id',
    { schema: { tags, security, summary: 'End one of your sessions', description: 'Sessions of other accounts are 404.', params: IdParams, response: { 204: { type: 'null', description: 'Ended' }, ...errorResponses(400, 401, 404, 429) } } },
    async (request, reply) => {
      const actor = requireActor(request)
      const revoked = await sessions.revoke({ sessionId: request.params.id, userId: actor.id }, 'revoked_by_user', { action: 'auth.session_revoked', actorId: actor.id, ...requestMeta(request) })
      if (revoked.length === 0) throw new AppError('NOT_FOUND', 'Session was not found.')
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/auth/sessions',
    { schema: { tags, security, summary: 'End every other session', description: 'The session making the request stays signed in.', response: { 200: S.Revoked, ...errorResponses(401, 429) } } },
    async (request) => {
      const actor = requireActor(request)
      const revoked = await sessions.revoke({ userId: actor.id, ...(actor.sessionId ? { exceptSessionId: actor.sessionId } : {}) }, 'revoked_by_user', {
        action: 'auth.sessions_revoked',
        actorId: actor.id,
        ...requestMeta(request),
      })
      return { revoked: revoked.length }
    },
  )
}
