import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { CylindersApi } from './api.js'

/** Not built yet. */
export function locationsRoutes(_api: CylindersApi): FastifyPluginAsync {
  return async (_instance: FastifyInstance) => {}
}
