import { field, httpScenario } from './scenario.js'

/** Plinth's liveness route: the framework, hooks (request id, auth, helmet, CORS, metrics) and logging, no database. */
export const health = httpScenario({
  key: 'health',
  label: '/health',
  title: 'Plinth GET /health',
  server: 'app',
  request: () => ({ url: '/health' }),
  verify: (body) => (field(body, 'status') === 'ok' ? undefined : 'expected status "ok"'),
})

/** /health from one connection on an otherwise idle server: the reference for the probe under login load. */
export const healthOneConnection = httpScenario({
  key: 'health-1c',
  label: '/health idle, 1 conn',
  title: 'Plinth GET /health, 1 connection, idle',
  server: 'app',
  againstBaseline: false,
  connections: () => 1,
  request: () => ({ url: '/health' }),
  verify: (body) => (field(body, 'status') === 'ok' ? undefined : 'expected status "ok"'),
})
