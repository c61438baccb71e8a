import { field, httpScenario, readyString } from './scenario.js'

/** Goals of issue 11 for a module's plain read by id (and /me, scenarios/me.ts), in the same run. */
export const SEEDS_STACK_GOAL = 5
export const READ_P99_GOAL_MS = 25

/**
 * A module's plain read by id: bearer-token authentication, the `cylinders:read` permission, one
 * primary-key SELECT of a cylinder in the stocked depot, the view and its serialization.
 */
export const cylinderById = httpScenario({
  key: 'cylinder-by-id',
  label: 'cylinder by id',
  title: 'Plinth GET /api/cylinders/:id (JWT + DB)',
  server: 'cylinders',
  compareTo: [{ key: 'express-cylinder-by-id', goal: SEEDS_STACK_GOAL }],
  latencyComparedTo: ['express-cylinder-by-id'],
  limits: [{ what: 'p99', unit: 'ms', comparison: '≤', limit: READ_P99_GOAL_MS, value: (m) => m.latencyP99Ms }],
  request: (target) => ({ url: `/api/cylinders/${readyString(target, 'cylinderId')}`, headers: { authorization: `Bearer ${readyString(target, 'accessToken')}` } }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'cylinderId') ? undefined : 'expected the stocked cylinder'),
})
