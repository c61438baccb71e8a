import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { errorResponses } from '../http/schemas.js'
import { security, tags, type AuthGroupOptions } from './auth-routes.shared.js'
import * as S from './auth.schemas.js'
import { requestMeta } from './request-meta.js'

/** Register, sign in, refresh the token pair, sign out. */
export async function signInRoutes(instance: FastifyInstance, { identity }: AuthGroupOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { auth, sessions } = identity

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
}
