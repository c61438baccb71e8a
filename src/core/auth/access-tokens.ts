import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { LRUCache } from 'lru-cache'
import { AppError } from '../errors/app-error.js'
import { isRole, type Role } from '../access/roles.js'

export const ISSUER = 'plinth'
export const AUDIENCE = 'plinth-api'

export interface AccessClaims {
  userId: string
  sessionId: string
  role: Role
}

/** How many verified tokens are remembered; each client reuses its token for its whole lifetime. */
const VERIFIED_CACHE_SIZE = 10_000

/**
 * Short-lived JWTs (HS256 with JWT_SECRET): `iss`, `aud`, `sub` (user), `sid` (session), `role`.
 *
 * fast-jwt signs and verifies with node:crypto synchronously, in microseconds. A WebCrypto-based
 * library (jose) queues every HMAC on libuv's thread pool, behind the argon2 hashes of sign-ins:
 * under login load each request waited for a hash to finish. Verified tokens are remembered, keyed
 * by the token itself (fast-jwt's own cache keys by its SHA-256, half of a cached verification's time,
 * 2.6% of GET /api/auth/me's CPU; ~10k tokens of ~250 bytes stay a few MB). Expiry is still enforced
 * on every use, and revocation is checked by the caller on every request. Refused tokens are not
 * remembered: checking one again is one HMAC.
 */
export class AccessTokens {
  private readonly sign: (payload: Record<string, unknown>) => string
  private readonly decode: (token: string) => Record<string, unknown>
  private readonly verified = new LRUCache<string, AccessClaims & { expiresAt: number }>({ max: VERIFIED_CACHE_SIZE })

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.sign = createSigner({ key: secret, algorithm: 'HS256', iss: ISSUER, aud: AUDIENCE, expiresIn: ttlSeconds * 1000 })
    this.decode = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['exp', 'sub', 'sid', 'role'],
    })
  }

  async issue(claims: AccessClaims): Promise<string> {
    return this.sign({ sub: claims.userId, sid: claims.sessionId, role: claims.role })
  }

  /** Only HS256 with our key, issuer and audience; anything else (alg none included) is 401. */
  async verify(token: string): Promise<AccessClaims> {
    const { expiresAt: _expiresAt, ...claims } = await this.verifyExpiring(token)
    return claims
  }

  /** `verify`, plus when the token expires (ms since the epoch): realtime closes a socket then. */
  async verifyExpiring(token: string): Promise<AccessClaims & { expiresAt: number }> {
    return this.claimsOf(token)
  }

  /**
   * `verifyExpiring` without a promise: it throws the 401 instead. Verification is synchronous, and
   * the request path (authenticate.ts) saves a promise and its microtasks per layer by calling this.
   */
  claimsOf(token: string): AccessClaims & { expiresAt: number } {
    const known = this.verified.get(token)
    if (known) {
      if (known.expiresAt > Date.now()) return known
      this.verified.delete(token)
      throw new AppError('TOKEN_EXPIRED')
    }
    const claims = Object.freeze(this.check(token))
    this.verified.set(token, claims)
    return claims
  }

  private check(token: string): AccessClaims & { expiresAt: number } {
    let payload: Record<string, unknown>
    try {
      payload = this.decode(token)
    } catch (error) {
      if (error instanceof TokenError && error.code === TokenError.codes.expired) throw new AppError('TOKEN_EXPIRED')
      throw new AppError('INVALID_TOKEN')
    }
    const { sub, sid, role, exp } = payload
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof role !== 'string' || !isRole(role) || typeof exp !== 'number') throw new AppError('INVALID_TOKEN')
    return { userId: sub, sessionId: sid, role, expiresAt: exp * 1000 }
  }
}
