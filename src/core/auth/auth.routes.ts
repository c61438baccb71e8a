import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { toUserView } from '../users/user.view.js'
import * as S from './auth.schemas.js'
import type { Identity } from './identity.js'
import { requestMeta } from './request-meta.js'

export interface AuthRouteOptions {
  identity: Identity
  /** Requests per minute per IP on /api/auth/*; 0 turns the limit off. */
  rateLimitPerMinute: number
}

const tags = ['auth']
const security = [{ bearerAuth: [] }]

export async function authRoutes(instance: FastifyInstance, { identity, rateLimitPerMinute }: AuthRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { auth, sessions } = identity
  if (rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      // With Redis down the limit is skipped rather than failing every auth request; sign-in
      // attempts stay limited by the login throttle, which falls back to memory.
      skipOnError: true,
      ...(app.platform.redis ? { redis: app.platform.redis, nameSpace: 'plinth:auth-rate:' } : {}),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many requests to /api/auth; retry in ${Math.ceil(context.ttl / 1000)} s.`, { limitPerMinute: context.max }),
    })
  }

  app.post(
    '/auth/register',
    { schema: { tags, summary: 'Create an account and sign in', description: 'Answers 403 REGISTRATION_CLOSED when this server does not take sign-ups (administrators can still create accounts).', body: S.RegisterBody, response: { 201: S.SignedIn, ...errorResponses(400, 403, 409, 429) } } },
    async (request, reply) => reply.code(201).send(await auth.register(request.body, requestMeta(request))),
  )

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Sign in with e-mail or username',
        description: 'Wrong password and unknown account give the same 401. Repeated failures lock the account and the IP out (429 with Retry-After).',
        body: S.LoginBody,
        response: { 200: S.SignedIn, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { email, username, password } = request.body
      if (!email && !username) throw new AppError('VALIDATION_FAILED', 'Send an email or a username.', { email: 'email or username is required' })
      return auth.login({ password, ...(email ? { email } : { username: username! }) }, requestMeta(request))
    },
  )

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Exchange a refresh token for a new pair',
        description: 'Rotation: each refresh token works once. A token replayed within the grace window returns the current pair; after it, 401 REFRESH_TOKEN_REUSED and the session ends.',
        body: S.RefreshBody,
        response: { 200: S.TokenPair, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => sessions.refresh(request.body.refreshToken, requestMeta(request)),
  )

  for (const method of ['POST', 'GET'] as const) {
    app.route({
      method,
      url: '/auth/logout',
      schema: { tags, security, summary: 'End the current session', description: 'Its access token is refused at once on every instance.', response: { 204: { type: 'null', description: 'Signed out' }, ...errorResponses(401, 429) } },
      handler: async (request, reply) => {
        await auth.logout(requireActor(request), requestMeta(request))
        return reply.code(204).send(null)
      },
    })
  }

  app.get(
    '/auth/me',
    // Reads of the signed-in account are not limited per IP: many users may share one (NAT).
    { config: { rateLimit: false }, schema: { tags, security, summary: 'The signed-in account', description: 'The account of the access token. Not subject to the per-IP limit of /api/auth.', response: { 200: S.UserRef, ...errorResponses(401) } } },
    async (request) => {
      const user = await identity.store.repos.users.findById(requireActor(request).id)
      if (!user) throw new AppError('SESSION_REVOKED')
      return toUserView(user)
    },
  )

  app.put(
    '/auth/password',
    {
      schema: { tags, security, summary: 'Change the password', description: 'Ends every other session of the account. Wrong current passwords count as failed sign-ins (429 past the limit).', body: S.ChangePasswordBody, response: { 204: { type: 'null', description: 'Changed' }, ...errorResponses(400, 401, 429) } },
    },
    async (request, reply) => {
      await auth.changePassword(requireActor(request), request.body, requestMeta(request))
      return reply.code(204).send(null)
    },
  )

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

  app.post(
    '/auth/verify-email/request',
    { schema: { tags, security, summary: 'Send a new verification link', description: 'Valid 24 hours; earlier links stop working.', response: { 202: S.Accepted, ...errorResponses(401, 429) } } },
    async (request, reply) => {
      await auth.requestEmailVerification(requireActor(request))
      return reply.code(202).send({ status: 'accepted' as const })
    },
  )

  app.post(
    '/auth/verify-email',
    { schema: { tags, summary: 'Confirm an e-mail address', description: 'With the token from the e-mailed link; single use.', body: S.TokenBody, response: { 200: S.UserRef, ...errorResponses(400, 429) } } },
    async (request) => auth.verifyEmail(request.body.token, requestMeta(request)),
  )

  app.post(
    '/auth/password/forgot',
    { schema: { tags, summary: 'E-mail a password reset link', description: 'Always 202, whether or not the account exists.', body: S.ForgotBody, response: { 202: S.Accepted, ...errorResponses(400, 429) } } },
    async (request, reply) => {
      auth.forgotPassword(request.body.email)
      return reply.code(202).send({ status: 'accepted' as const })
    },
  )

  app.post(
    '/auth/password/reset',
    { schema: { tags, summary: 'Choose a new password with a reset token', description: 'Valid 1 hour, single use; ends every session of the account.', body: S.ResetBody, response: { 204: { type: 'null', description: 'Reset' }, ...errorResponses(400, 429) } } },
    async (request, reply) => {
      await auth.resetPassword(request.body.token, request.body.password, requestMeta(request))
      return reply.code(204).send(null)
    },
  )
}
