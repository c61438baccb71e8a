import { SignJWT, UnsecuredJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AUDIENCE, AccessTokens, ISSUER } from './access-tokens.js'

const SECRET = 'unit-test-secret-that-is-long-enough-for-hs256'
const tokens = new AccessTokens(SECRET, 900)
const key = new TextEncoder().encode(SECRET)
const claims = { userId: '01900000-0000-7000-8000-000000000001', sessionId: '01900000-0000-7000-8000-000000000002', role: 'worker' as const }
const now = (): number => Math.floor(Date.now() / 1000)

/** A token with our key and claims, changed as asked. */
function forge(payload: JWTPayload = { sid: claims.sessionId, role: claims.role }, options: { alg?: string; iss?: string; aud?: string; sub?: string | null; exp?: number } = {}) {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 60)
  if (options.sub !== null) jwt.setSubject(options.sub ?? claims.userId)
  return jwt.sign(key)
}

const refusal = (token: string) => tokens.verify(token).then(
  () => 'accepted',
  (error: { code?: string }) => error.code,
)

describe('AccessTokens', () => {
  it('issues an HS256 JWT with issuer, audience, subject, session, role and the TTL', async () => {
    const token = await tokens.issue(claims)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const payload = decodeJwt(token)
    expect(payload).toEqual({ iss: ISSUER, aud: AUDIENCE, sub: claims.userId, sid: claims.sessionId, role: 'worker', iat: expect.any(Number), exp: expect.any(Number) })
    expect(payload.exp! - payload.iat!).toBe(900)
  })

  it('verifies what it issued back into the claims', async () => {
    expect(await tokens.verify(await tokens.issue(claims))).toEqual(claims)
  })

  it('accepts a token forged exactly like its own (so the refusals below are about one change each)', async () => {
    expect(await refusal(await forge())).toBe('accepted')
  })

  it.each([
    ['signed with another algorithm of the same key (HS512)', () => forge(undefined, { alg: 'HS512' })],
    ['of another issuer', () => forge(undefined, { iss: 'elsewhere' })],
    ['for another audience', () => forge(undefined, { aud: 'other-api' })],
    ['without a subject', () => forge(undefined, { sub: null })],
    ['without a session', () => forge({ role: 'user' })],
    ['with an unknown role', () => forge({ sid: claims.sessionId, role: 'root' })],
    ['with a non-string role', () => forge({ sid: claims.sessionId, role: ['admin'] })],
    ['with a non-string session', () => forge({ sid: 42, role: 'user' })],
  ])('refuses a token %s: INVALID_TOKEN', async (_case, make) => {
    expect(await refusal(await make())).toBe('INVALID_TOKEN')
  })

  it('refuses an unsigned token (alg: none)', async () => {
    const unsigned = new UnsecuredJWT({ sid: claims.sessionId, role: 'admin' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(claims.userId).setExpirationTime('1m').encode()
    expect(await refusal(unsigned)).toBe('INVALID_TOKEN')
  })

  it('refuses a token signed with another secret', async () => {
    const other = new AccessTokens('another-secret-that-is-long-enough-for-hs256', 900)
    expect(await refusal(await other.issue(claims))).toBe('INVALID_TOKEN')
  })

  it('refuses garbage', async () => {
    for (const garbage of ['', 'abc', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9..']) expect(await refusal(garbage)).toBe('INVALID_TOKEN')
  })

  it('refuses an expired token: TOKEN_EXPIRED', async () => {
    expect(await refusal(await forge(undefined, { exp: now() - 1 }))).toBe('TOKEN_EXPIRED')
  })

  describe('verified tokens are remembered, by the whole token', () => {
    afterEach(() => vi.useRealTimers())

    it('a remembered token is refused once it expires', async () => {
      const token = await forge(undefined, { exp: now() + 5 })
      expect(await refusal(token)).toBe('accepted')
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + 10_000)
      expect(await refusal(token)).toBe('TOKEN_EXPIRED')
    })

    it('a token one character off a remembered one is checked, not taken for it', async () => {
      const token = await tokens.issue(claims)
      expect(await refusal(token)).toBe('accepted')
      // A character inside the signature (the last one carries padding bits).
      const at = token.length - 10
      const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
      expect(await refusal(changed)).toBe('INVALID_TOKEN')
    })

    it('without a process warning (fast-jwt warns about a custom cache key; the cache is ours)', async () => {
      const warnings: Error[] = []
      const listen = (warning: Error) => warnings.push(warning)
      process.on('warning', listen)
      try {
        const fresh = new AccessTokens(SECRET, 900)
        await fresh.verify(await fresh.issue(claims))
        await new Promise((resolve) => setImmediate(resolve))
      } finally {
        process.off('warning', listen)
      }
      expect(warnings.map((warning) => warning.message)).toEqual([])
    })
  })

  it('refuses an expired token with a bad signature as INVALID_TOKEN, not as expired', async () => {
    const expired = await forge(undefined, { exp: now() - 60 })
    expect(await refusal(`${expired.slice(0, -4)}AAAA`)).toBe('INVALID_TOKEN')
  })
})
