import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { errorResponses } from '../http/schemas.js'
import { security, tags, type AuthGroupOptions } from './auth-routes.shared.js'
import * as S from './auth.schemas.js'
import { requestMeta } from './request-meta.js'

/** The flows that go through an e-mailed link: verifying the address, resetting a forgotten password. */
export async function emailFlowRoutes(instance: FastifyInstance, { identity }: AuthGroupOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { auth } = identity

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
