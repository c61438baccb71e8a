import { READ_P99_GOAL_MS, SEEDS_STACK_GOAL } from './cylinder-by-id.js'
import { field, httpScenario, readyString } from './scenario.js'

/**
 * The authenticated read every client makes: bearer-token verification (JWT signature, claims,
 * revocation list), one primary-key SELECT of the account, the user view and its serialization.
 * Compared with the bare Fastify route running the same query (`bare-pk`) and with the seeds' stack
 * (`express-me`: Express 5, pg, jsonwebtoken).
 */
export const me = httpScenario({
  key: 'me',
  label: '/me',
  title: 'Plinth GET /api/auth/me (JWT + DB)',
  server: 'app',
  compareTo: [{ key: 'bare-pk', goal: 0.75 }, { key: 'express-me', goal: SEEDS_STACK_GOAL }],
  latencyComparedTo: ['bare-pk', 'express-me', 'raw-hello'],
  limits: [{ what: 'p99', unit: 'ms', comparison: '≤', limit: READ_P99_GOAL_MS, value: (m) => m.latencyP99Ms }],
  request: (target) => ({ url: '/api/auth/me', headers: { authorization: `Bearer ${readyString(target, 'accessToken')}` } }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'userId') ? undefined : 'expected the registered account'),
})
