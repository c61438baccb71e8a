import { expressBaselineUnavailable } from '../lib/express-baseline.js'
import { field, httpScenario, readyString, type Target } from './scenario.js'

/**
 * The seeds' stack (servers/express-baseline.ts: Express 5, pg, jsonwebtoken) on the same tables with
 * the same queries: the divisors of the ≥ 5× goals of /me and GET /api/cylinders/:id. Skipped, not
 * failed, while its packages are not installed.
 */
const bearer = (target: Target) => ({ authorization: `Bearer ${readyString(target, 'accessToken')}` })

export const expressMe = httpScenario({
  key: 'express-me',
  label: 'Express /me',
  title: "seeds' stack GET /api/auth/me (Express 5 + pg + jsonwebtoken)",
  server: 'express-baseline',
  unavailable: expressBaselineUnavailable,
  request: (target) => ({ url: '/api/auth/me', headers: bearer(target) }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'userId') ? undefined : 'expected the signed-in account'),
})

export const expressCylinderById = httpScenario({
  key: 'express-cylinder-by-id',
  label: 'Express cylinder by id',
  title: "seeds' stack GET /api/cylinders/:id (Express 5 + pg + jsonwebtoken)",
  server: 'express-baseline',
  unavailable: expressBaselineUnavailable,
  request: (target) => ({ url: `/api/cylinders/${readyString(target, 'cylinderId')}`, headers: bearer(target) }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'cylinderId') ? undefined : 'expected the cylinder'),
})
