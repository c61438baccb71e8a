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
