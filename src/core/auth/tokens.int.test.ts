import { SignJWT, UnsecuredJWT, decodeJwt, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { TEST_SECRETS, useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { expectError, loginRequest, refresh } from '../../../test/helpers/identity.js'
import { AUDIENCE, ISSUER } from './access-tokens.js'

const app = useTestApp()

const ourKey = new TextEncoder().encode(TEST_SECRETS.JWT_SECRET)
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

const me = (authorization: string) => app().inject({ url: '/api/auth/me', headers: { authorization } })

/** The claims a real access token of this user carries, to forge look-alikes from. */
const claimsOf = (user: TestUser): JWTPayload => decodeJwt(user.accessToken)

/** Signs `claims` as our server would, except for what `options` changes. */
function forge(claims: JWTPayload, options: { alg?: string; key?: Uint8Array; issuer?: string; audience?: string; exp?: number } = {}): Promise<string> {
  const { iat: _iat, exp: _exp, iss: _iss, aud: _aud, ...rest } = claims
  return new SignJWT(rest)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? nowSeconds() + 600)
    .sign(options.key ?? ourKey)
}

describe('access tokens on GET /api/auth/me', () => {
  it('accepts a token forged exactly like ours (the forging helper is faithful)', async () => {
    const user = await registerUser(app())
    expect((await me(`Bearer ${await forge(claimsOf(user))}`)).statusCode).toBe(200)
  })

  it('answers 401 UNAUTHENTICATED without a token', async () => {
    expectError(await app().inject({ url: '/api/auth/me' }), 401, 'UNAUTHENTICATED')
  })

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a scheme without a token', 'Bearer'],
    ['a token with spaces', 'Bearer abc def'],
    ['a bare token without scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.abc'],
  ])('answers 401 INVALID_TOKEN to a malformed Authorization header: %s', async (_case, header) => {
    expectError(await me(header), 401, 'INVALID_TOKEN')
  })

  it('answers 401 INVALID_TOKEN to a token that is not a JWT', async () => {
    expectError(await me('Bearer not-a-jwt'), 401, 'INVALID_TOKEN')
  })

  it('refuses an unsigned token (alg: none)', async () => {
    const user = await registerUser(app())
    const { iat: _iat, exp: _exp, ...claims } = claimsOf(user)
    const unsigned = new UnsecuredJWT(claims).setIssuedAt().setExpirationTime('10m').encode()
    expectError(await me(`Bearer ${unsigned}`), 401, 'INVALID_TOKEN')
  })

  it('refuses a token signed with our secret but another algorithm (HS512)', async () => {
    const user = await registerUser(app())
    expectError(await me(`Bearer ${await forge(claimsOf(user), { alg: 'HS512' })}`), 401, 'INVALID_TOKEN')
  })

  it('refuses a token signed with another secret', async () => {
    const user = await registerUser(app())
    const otherKey = new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256')
    expectError(await me(`Bearer ${await forge(claimsOf(user), { key: otherKey })}`), 401, 'INVALID_TOKEN')
  })

  it('refuses a token whose claims were altered after signing', async () => {
    const user = await registerUser(app())
    const [header, , signature] = user.accessToken.split('.')
    const payload = Buffer.from(JSON.stringify({ ...claimsOf(user), role: 'admin' })).toString('base64url')
    expectError(await me(`Bearer ${header}.${payload}.${signature}`), 401, 'INVALID_TOKEN')
  })

  it('refuses a token of another issuer', async () => {
    const user = await registerUser(app())
    expectError(await me(`Bearer ${await forge(claimsOf(user), { issuer: 'someone-else' })}`), 401, 'INVALID_TOKEN')
  })

  it('refuses a token for another audience', async () => {
    const user = await registerUser(app())
    expectError(await me(`Bearer ${await forge(claimsOf(user), { audience: 'another-api' })}`), 401, 'INVALID_TOKEN')
  })

  it('refuses a token without a session or with an unknown role', async () => {
    const user = await registerUser(app())
    const { sid: _sid, ...withoutSession } = claimsOf(user)
    expectError(await me(`Bearer ${await forge(withoutSession)}`), 401, 'INVALID_TOKEN')
    expectError(await me(`Bearer ${await forge({ ...claimsOf(user), role: 'superuser' })}`), 401, 'INVALID_TOKEN')
  })

  it('answers 401 TOKEN_EXPIRED to an expired token', async () => {
    const user = await registerUser(app())
    const expired = await forge(claimsOf(user), { exp: nowSeconds() - 60 })
    const error = expectError(await me(`Bearer ${expired}`), 401, 'TOKEN_EXPIRED')
    expect(error.message).toMatch(/refresh/)
  })
})

describe('a bad access token where none is needed', () => {
  it('does not prevent signing in', async () => {
    const user = await registerUser(app())
    const expired = await forge(claimsOf(user), { exp: nowSeconds() - 60 })
    const response = await app().inject({ method: 'POST', url: '/api/auth/login', headers: { authorization: `Bearer ${expired}` }, payload: { email: user.email, password: user.password } })
    expect(response.statusCode, response.body).toBe(200)
  })

  it('does not prevent refreshing', async () => {
    const user = await registerUser(app())
    const expired = await forge(claimsOf(user), { exp: nowSeconds() - 60 })
    const response = await app().inject({ method: 'POST', url: '/api/auth/refresh', headers: { authorization: `Bearer ${expired}` }, payload: { refreshToken: user.refreshToken } })
    expect(response.statusCode, response.body).toBe(200)
  })

  it('does not prevent signing in with a malformed header or a revoked session either', async () => {
    const user = await registerUser(app())
    await app().inject({ method: 'POST', url: '/api/auth/logout', headers: user.headers })
    const revoked = await app().inject({ method: 'POST', url: '/api/auth/login', headers: user.headers, payload: { email: user.email, password: user.password } })
    expect(revoked.statusCode, revoked.body).toBe(200)
    const malformed = await app().inject({ method: 'POST', url: '/api/auth/refresh', headers: { authorization: 'Basic xyz' }, payload: { refreshToken: revoked.json().refreshToken } })
    expect(malformed.statusCode, malformed.body).toBe(200)
    // And the plain helpers agree.
    expect((await loginRequest(app(), { email: user.email, password: user.password })).statusCode).toBe(200)
    expect((await refresh(app(), malformed.json().refreshToken)).statusCode).toBe(200)
  })
})
