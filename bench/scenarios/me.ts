import { field, httpScenario, readyString } from './scenario.js'

/**
 * The authenticated read every client makes: bearer-token verification (JWT signature, claims,
 * revocation list), one primary-key SELECT of the account, the user view and its serialization.
 * Compared with the bare Fastify route running the same query (`bare-pk`).
 */
export const me = httpScenario({
  key: 'me',
  label: '/me',
  title: 'Plinth GET /api/auth/me (JWT + DB)',
  server: 'app',
  compareTo: [{ key: 'bare-pk', goal: 0.75 }],
  latencyComparedTo: ['bare-pk', 'raw-hello'],
  request: (target) => ({ url: '/api/auth/me', headers: { authorization: `Bearer ${readyString(target, 'accessToken')}` } }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'userId') ? undefined : 'expected the registered account'),
})
