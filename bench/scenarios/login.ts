import { field, httpScenario, readyString } from './scenario.js'

/**
 * Sign-in, bound by argon2id (OWASP_PARAMETERS: 19 MiB, t=2, p=1): the account lookup, the login
 * throttle, one `verify`, a session row, an audit row and a signed token pair. With the raw argon2
 * baseline's concurrency, so `login / argon2 verify` is the share of argon2's rate the route keeps.
 */
export const login = httpScenario({
  key: 'login',
  label: 'login',
  title: 'Plinth POST /api/auth/login (argon2id)',
  server: 'app',
  againstBaseline: false,
  compareTo: [{ key: 'argon2-raw', goal: 0.9 }],
  latencyComparedTo: ['argon2-raw'],
  connections: (settings) => settings.loginConcurrency,
  request: (target) => ({
    url: '/api/auth/login',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: readyString(target, 'email'), password: readyString(target, 'password') }),
  }),
  verify: (body) => (typeof field(body, 'accessToken') === 'string' ? undefined : 'expected an accessToken'),
})
