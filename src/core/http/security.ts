import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { OutgoingHttpHeaders } from 'node:http'
import type { Config } from '../../config/index.js'

/** Security headers on every response, and CORS only for the configured origins. */
export async function installSecurity(app: FastifyInstance, config: Config): Promise<void> {
  // @fastify/helmet builds helmet's middleware again on every request (its CSP directives parsed
  // and validated each time: 5 % of a light request's CPU). Its headers never vary by request, so
  // they are taken once from the plugin itself. They are the reply's headers, not the raw response's
  // (a raw header makes Node re-validate every header of the reply at writeHead): a route's own
  // header, e.g. a download's CSP, still replaces them.
  const headers = await helmetHeaders()
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
  const origins = config.corsOrigins
  await app.register(cors, {
    origin: origins === '*' ? true : origins.length > 0 ? [...origins] : false,
    credentials: origins !== '*',
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Retry-After', 'X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    maxAge: 600,
  })
}

/**
 * The headers `@fastify/helmet` (global, default options) sets on a response, read from a bare
 * Fastify instance with the plugin, right after its hooks ran and before the reply adds its own.
 */
export async function helmetHeaders(): Promise<Readonly<Record<string, string>>> {
  const probe = Fastify()
  let headers: OutgoingHttpHeaders = {}
  try {
    await probe.register(helmet, { global: true })
    probe.addHook('onRequest', (_request, reply, done) => {
      headers = reply.raw.getHeaders()
      done()
    })
    probe.get('/', async () => 'ok')
    await probe.inject({ url: '/' })
  } finally {
    await probe.close()
  }
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]))
}
