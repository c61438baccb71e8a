import type { FastifyRequest } from 'fastify'
import type { Role } from './roles.js'

/** Who is making a request, as resolved by the authentication hook. */
export interface Actor {
  readonly id: string
  readonly role: Role
  /** The session the access token belongs to, when there is one. */
  readonly sessionId?: string
  /**
   * Set when the request is made with an API key (`plk_…`): the key acts as its owner (`id`, with the
   * owner's current `role`), limited to the permissions in `scopes`. No session: `sessionId` is unset.
   */
  readonly apiKey?: { readonly id: string; readonly scopes: readonly string[] }
}

/** Resolves the request's actor; `null` for anonymous requests. Throws AppError 401 for bad credentials. */
export type Authenticator = (request: FastifyRequest) => Promise<Actor | null>

export const anonymous: Authenticator = async () => null

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null
    /** Why the presented credentials were refused; raised only by routes that need an actor. */
    authError: Error | null
  }
}
