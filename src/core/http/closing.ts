import type { FastifyInstance } from 'fastify'
import { errorBody } from '../errors/error-handler.js'

/** How long a client should wait before retrying (by then the load balancer routes it elsewhere). */
const RETRY_AFTER_SECONDS = '1'

/**
 * Once the app starts closing, requests that still arrive (pipelined, or on a kept-alive connection
 * that is busy) are answered 503 `SHUTTING_DOWN` in the error shape, with Retry-After, before any
 * other hook runs: they start no new work. Requests already in flight finish. Fastify's own
 * closing-time 503 (`return503OnClosing`) must be off, or it answers first with its own body.
 * Install before every other onRequest hook.
 */
export function installClosingGuard(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // A callback hook, not an async one: every request passes it, and an async hook costs a promise
  // and a microtask each time for a check that is almost always false.
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done()
    // Fastify already asks HTTP/1.1 clients to close the connection while it closes.
    reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).header('x-request-id', request.id).send(errorBody('SHUTTING_DOWN'))
  })
}
