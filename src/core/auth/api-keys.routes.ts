import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { bearer, errorResponses } from '../http/schemas.js'
import * as S from './api-keys.schemas.js'
import { MANAGE_PERMISSION, MAX_ACTIVE_KEYS, type ApiKeyService } from './api-keys.service.js'
import { requestMeta } from './request-meta.js'

export interface ApiKeyRouteOptions {
  apiKeys: ApiKeyService
}

const tags = ['api-keys']
const NOT_WITH_A_KEY = 'Not with an API key (401 API_KEY_NOT_ALLOWED): keys do not manage keys.'
const CREATE_RULES =
  `Each scope must be a permission the owner's role has (403 API_KEY_SCOPE_NOT_HELD); \`api-keys:manage\` cannot be given. ` +
  `An account has at most ${MAX_ACTIVE_KEYS} active keys (409 API_KEY_LIMIT_REACHED). The secret is in this answer only; only its SHA-256 is stored.`

/**
 * API keys for external services: `/auth/api-keys` for your own, `/users/:id/api-keys` for any
 * account's (api-keys:manage). Every route needs a signed-in session, never an API key.
 */
export async function apiKeyRoutes(instance: FastifyInstance, { apiKeys }: ApiKeyRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  // Anonymous callers (and API keys) learn nothing, not even which inputs are valid.
  app.addHook('preValidation', async (request) => void requireActor(request))

  app.post(
    '/auth/api-keys',
    {
      schema: {
        tags,
        security: bearer(),
        summary: 'Create an API key for your account',
        description: `${CREATE_RULES} ${NOT_WITH_A_KEY}`,
        body: S.CreateApiKeyBody,
        response: { 201: S.CreatedApiKey, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request)
      return reply.code(201).send(await apiKeys.create(actor, actor.id, request.body, requestMeta(request)))
    },
  )

  app.get(
    '/auth/api-keys',
    { schema: { tags, security: bearer(), summary: 'Your API keys', description: `Newest first, without secrets. ${NOT_WITH_A_KEY}`, response: { 200: S.ApiKeyList, ...errorResponses(401, 403) } } },
    async (request) => {
      const actor = requireActor(request)
      return { items: await apiKeys.list(actor, actor.id), nextCursor: null }
    },
  )

  app.delete(
    '/auth/api-keys/:keyId',
    {
      schema: {
        tags,
        security: bearer(),
        summary: 'Revoke one of your API keys',
        description: `Refused at once on every instance (401 API_KEY_REVOKED). Keys of other accounts are 404. ${NOT_WITH_A_KEY}`,
        params: S.KeyParams,
        response: { 204: { type: 'null', description: 'Revoked' }, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request)
      await apiKeys.revoke(actor, actor.id, request.params.keyId, requestMeta(request))
      return reply.code(204).send(null)
    },
  )

  const admin = { tags, security: bearer(MANAGE_PERMISSION) }
  app.post(
    '/users/:id/api-keys',
    {
      schema: {
        ...admin,
        summary: "Create an API key for an account",
        description: `Your own account, or any with ${MANAGE_PERMISSION} (others are 404). ${CREATE_RULES}`,
        params: S.UserParams,
        body: S.CreateApiKeyBody,
        response: { 201: S.CreatedApiKey, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await apiKeys.create(requireActor(request), request.params.id, request.body, requestMeta(request))),
  )

  app.get(
    '/users/:id/api-keys',
    {
      schema: {
        ...admin,
        summary: "An account's API keys",
        description: `Your own, or any account's with ${MANAGE_PERMISSION} (others are 404). Newest first, without secrets.`,
        params: S.UserParams,
        response: { 200: S.ApiKeyList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ items: await apiKeys.list(requireActor(request), request.params.id), nextCursor: null }),
  )

  app.delete(
    '/users/:id/api-keys/:keyId',
    {
      schema: {
        ...admin,
        summary: "Revoke an account's API key",
        description: `Your own, or any account's with ${MANAGE_PERMISSION} (others are 404). Refused at once on every instance.`,
        params: S.UserKeyParams,
        response: { 204: { type: 'null', description: 'Revoked' }, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(requireActor(request), request.params.id, request.params.keyId, requestMeta(request))
      return reply.code(204).send(null)
    },
  )
}
