import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/index.js'
import { installSecurity } from './security.js'

const config = loadConfig({ NODE_ENV: 'test' })
const route = { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }

/** Headers that name the moment or the body, not the policy. */
function policyHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const { date: _date, 'content-length': _length, connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers
  return rest
}

async function answer(install: (app: ReturnType<typeof Fastify>) => Promise<void>, url = '/') {
  const app = Fastify()
  await install(app)
  app.get('/', route, async () => ({ ok: true }))
  app.get('/own-csp', route, async (_request, reply) => reply.header('content-security-policy', "default-src 'none'; sandbox").send({ ok: true }))
  try {
    return await app.inject({ url })
  } finally {
    await app.close()
  }
}

describe('security headers', () => {
  it('are exactly the ones @fastify/helmet sets on every request, computed once', async () => {
    const reference = await answer(async (app) => void (await app.register(helmet, { global: true })))
    const ours = await answer((app) => installSecurity(app, config))
    expect(policyHeaders(reference.headers)['content-security-policy']).toContain("default-src 'self'")
    expect(policyHeaders(ours.headers)).toEqual(policyHeaders(reference.headers))
  })

  it('a route may still replace one (a download sandboxes its content), as with the plugin', async () => {
    const reference = await answer(async (app) => void (await app.register(helmet, { global: true })), '/own-csp')
    const ours = await answer((app) => installSecurity(app, config), '/own-csp')
    expect(ours.headers['content-security-policy']).toBe("default-src 'none'; sandbox")
    expect(policyHeaders(ours.headers)).toEqual(policyHeaders(reference.headers))
  })
})
