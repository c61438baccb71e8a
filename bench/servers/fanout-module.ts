import type { FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../src/core/access/require-permission.js'
import { AppError } from '../../src/core/errors/app-error.js'
import { defineModule } from '../../src/core/module.js'
import { parsePublishRequest, parseStatsRequest, processStats, publishEvents, TICK_EVENT } from './realtime-control.js'

/**
 * Bench only (never in the app's module list): lets the realtime scenarios publish from the server
 * side, the way a module does, and read the server's own memory.
 *
 * - rooms `bench:<id>`: any signed-in actor may subscribe;
 * - `POST /api/bench/publish {room, count, ratePerSecond?, payloadBytes?}`: publishes `count`
 *   `bench.tick` events through `ctx.realtime.publish`, data `{sentAt, i, pad}` (see
 *   realtime-control.ts), each awaited before the next; answers once all are published;
 * - `POST /api/bench/stats {gc?, settleMs?}`: RSS, heap and CPU time of this process, after
 *   `global.gc()` when asked (the bench starts the app with --expose-gc).
 *
 * Both need a signed-in actor (the bench sends the registered account's access token).
 */
export const benchModule = defineModule({
  name: 'bench',
  permissions: [],
  createApi: (ctx) => ({ realtime: ctx.realtime }),
  authorizeRoom: async (_actor, room) => room.id !== undefined,
  routes: (api): FastifyPluginAsync =>
    async function benchRoutes(app) {
      app.post('/bench/publish', async (request) => {
        requireActor(request)
        const publish = parsePublishRequest(request.body)
        if (typeof publish === 'string') throw new AppError('BAD_REQUEST', publish)
        return publishEvents(publish, (data) => api.realtime.publish(publish.room, TICK_EVENT, data))
      })
      app.post('/bench/stats', async (request) => {
        requireActor(request)
        return processStats(parseStatsRequest(request.body))
      })
    },
})
