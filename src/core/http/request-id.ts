import type { FastifyInstance } from 'fastify'

/** Every answer names its request (`x-request-id`), the id its log lines carry. */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}
