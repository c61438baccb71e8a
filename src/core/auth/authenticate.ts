import type { FastifyRequest } from 'fastify'
import type { Actor, Authenticator } from '../access/actor.js'
import { AppError } from '../errors/app-error.js'
import type { AccessTokens } from './access-tokens.js'
import { isApiKeyToken, type ApiKeyAuthenticator } from './api-key-authenticator.js'
import { requestMeta } from './request-meta.js'
import type { RevocationList } from './revocations.js'

/** The bearer token of a request (`Authorization: Bearer …`); WebSocket upgrades also accept `?token=` (realtime/gateway.ts). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match) throw new AppError('INVALID_TOKEN', 'The Authorization header must be "Bearer <accessToken>".')
    return match[1]
  }
  return undefined
}

/**
 * Resolves the actor from the access token: signature, issuer, audience and expiry by JWT, then
 * the in-memory revocation list, so a logged-out session is refused at once on every instance.
 * A bearer starting `plk_` is an API key instead (api-key-authenticator.ts), when `apiKeys` is given.
 * No token: anonymous (routes that need an actor answer 401).
 */
export function jwtAuthenticator(tokens: AccessTokens, revocations: RevocationList, apiKeys?: ApiKeyAuthenticator): Authenticator {
  // One promise per request (this function's): the token's checks are synchronous.
  return async (request): Promise<Actor | null> => {
    const token = bearerToken(request)
    if (!token) return null
    return apiKeys && isApiKeyToken(token) ? apiKeys.verify(token, requestMeta(request)) : verifiedToken(tokens, revocations, token).actor
  }
}

/** The actor of an access token, or 401 (invalid, expired or revoked). */
export function accessTokenVerifier(tokens: AccessTokens, revocations: RevocationList): (token: string) => Promise<Actor> {
  return async (token) => verifiedToken(tokens, revocations, token).actor
}

/** The actor of an access token and when the token expires (ms since the epoch), or 401. */
export function expiringTokenVerifier(tokens: AccessTokens, revocations: RevocationList): (token: string) => Promise<{ actor: Actor; expiresAt: number }> {
  return async (token) => verifiedToken(tokens, revocations, token)
}

/** Signature, claims and expiry, then the revocation list; throws the 401. */
function verifiedToken(tokens: AccessTokens, revocations: RevocationList, token: string): { actor: Actor; expiresAt: number } {
  const claims = tokens.claimsOf(token)
  if (revocations.isRevoked(claims.sessionId)) throw new AppError('SESSION_REVOKED')
  return { actor: { id: claims.userId, role: claims.role, sessionId: claims.sessionId }, expiresAt: claims.expiresAt }
}
