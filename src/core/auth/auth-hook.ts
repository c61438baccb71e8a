import type { FastifyInstance } from 'fastify'
import type { Authenticator } from '../access/actor.js'
import { AppError } from '../errors/app-error.js'

/**
 * Resolves every request's actor before routing to its handler. A bad token matters only to routes
 * that need an actor (sign-in and refresh must still work with a stale one): its 401 is kept as
 * `request.authError` and raised by those routes.
 */
export function installAuthentication(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('actor', null)
  app.decorateRequest('authError', null)
  app.addHook('onRequest', async (request) => {
    try {
      request.actor = await authenticate(request)
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 401) throw error
      request.authError = error
    }
  })
}
