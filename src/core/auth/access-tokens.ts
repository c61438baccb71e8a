import { errors, jwtVerify, SignJWT } from 'jose'
import { AppError } from '../errors/app-error.js'
import { isRole, type Role } from '../access/roles.js'

export const ISSUER = 'plinth'
export const AUDIENCE = 'plinth-api'

export interface AccessClaims {
  userId: string
  sessionId: string
  role: Role
}

/** Short-lived JWTs (HS256 with JWT_SECRET): `iss`, `aud`, `sub` (user), `sid` (session), `role`. */
export class AccessTokens {
  private readonly key: Uint8Array

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret)
  }

  issue(claims: AccessClaims): Promise<string> {
    return new SignJWT({ sid: claims.sessionId, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key)
  }

  /** Only HS256 with our key, issuer and audience; anything else (alg none included) is 401. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
      const { sub, sid, role } = payload
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof role !== 'string' || !isRole(role)) throw new AppError('INVALID_TOKEN')
      return { userId: sub, sessionId: sid, role }
    } catch (error) {
      if (error instanceof AppError) throw error
      if (error instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED')
      throw new AppError('INVALID_TOKEN')
    }
  }
}
