import { field, httpScenario } from './scenario.js'

/** Bare `node:http` answering `{"hello":"world"}`: the ceiling of this machine, the divisor of every ratio. */
export const rawHello = httpScenario({
  key: 'raw-hello',
  label: 'raw',
  title: 'raw node:http hello-JSON',
  server: 'raw-http',
  baseline: true,
  request: () => ({ url: '/' }),
  verify: (body) => (field(body, 'hello') === 'world' ? undefined : 'expected {"hello":"world"}'),
})
