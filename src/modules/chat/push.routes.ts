import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { CHAT_USE } from './permissions.js'
import * as S from './push.schemas.js'

const tags = ['chat']
const security = bearer(CHAT_USE)

/** Web Push: the VAPID key and the caller's browser subscriptions. */
export function pushRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { push } = api.notify

    app.get(
      '/push/vapid-public-key',
      {
        schema: {
          tags,
          security,
          summary: 'The Web Push public key',
          description: 'The `applicationServerKey` a browser subscribes with. 503 PUSH_NOT_CONFIGURED when the server has no VAPID keys (CHAT_VAPID_*).',
          response: { 200: S.VapidPublicKey, ...errorResponses(401, 403, 503) },
        },
      },
      async (request) => push.publicKey(requireActor(request)),
    )

    app.post(
      '/push/subscriptions',
      {
        schema: {
          tags,
          security,
          summary: 'Subscribe this browser to push',
          description:
            'Stores the browser\'s `PushSubscription.toJSON()`: 201 when the endpoint is new, 200 when it was known (its keys are updated and it becomes yours, as the browser now signs in as you). ' +
            'Mentions, replies and private messages are then pushed to it while you have no socket open. An endpoint that is not https (or a local or private address) or malformed keys: 400. ' +
            '503 PUSH_NOT_CONFIGURED without VAPID keys.',
          body: S.SubscribeBody,
          response: { 200: S.PushSubscriptionView, 201: S.PushSubscriptionView, ...errorResponses(400, 401, 403, 415, 503) },
        },
      },
      async (request, reply) => {
        const { subscription, created } = await push.subscribe(requireActor(request), request.body)
        return reply.code(created ? 201 : 200).send(subscription)
      },
    )

    app.delete(
      '/push/subscriptions',
      {
        schema: {
          tags,
          security,
          summary: 'Unsubscribe a browser',
          description: 'Deletes your subscription for this endpoint (also without VAPID keys, so a browser can always unsubscribe). One that is not yours or unknown: 404 PUSH_SUBSCRIPTION_NOT_FOUND.',
          body: S.UnsubscribeBody,
          response: { 204: Type.Null({ description: 'Unsubscribed' }), ...errorResponses(400, 401, 403, 404, 415) },
        },
      },
      async (request, reply) => {
        await push.unsubscribe(requireActor(request), request.body.endpoint)
        return reply.code(204).send(null)
      },
    )
  }
}
