import { field, httpScenario, readyString } from './scenario.js'

/**
 * The floor under /me: bare Fastify, no plugins or logging, the same primary-key SELECT with the same
 * driver and pool size (servers/bare-fastify-pk.ts), on the run's database (embedded or DATABASE_URL).
 */
export const barePk = httpScenario({
  key: 'bare-pk',
  label: 'bare PK',
  title: 'bare Fastify GET /users/:id (postgres.js)',
  server: 'bare-fastify-pk',
  request: (target) => ({ url: `/users/${readyString(target, 'userId')}` }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'userId') ? undefined : 'expected the account row'),
})
