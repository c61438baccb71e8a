import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { v7 as uuidv7 } from 'uuid'
import { buildApp } from '../../src/app.js'
import type { Authenticator } from '../../src/core/access/actor.js'
import { headerActor, notesModule } from '../../test/fixtures/notes/index.js'
import { createNotesTable } from '../../test/fixtures/notes/schema.js'
import { benchModule } from './fanout-module.js'
import { appServer, failStartup, printReady } from './lifecycle.js'

/**
 * The real Plinth app, built as `src/server.ts` builds it, with the notes fixture module and the
 * bench-only `bench` module (fanout-module.ts: server-side publishing and memory readings for the
 * realtime scenarios). Requests with an `x-test-actor` header (the notes scenario) use the fixture's
 * header authentication; all others the real bearer-token authentication. Request logging stays on
 * at `info`: its cost is part of what a production instance pays. NODE_ENV=production keeps argon2id
 * at OWASP_PARAMETERS.
 *
 * Configured for load from one client IP: no /api/auth rate limit, no login lockout, and access
 * tokens that outlive the run. It registers one account through the API and announces its id,
 * e-mail, password and access token on the ready line (the login, /me and realtime scenarios use
 * them).
 *
 * Realtime runs on Redis when the bench passes REDIS_URL (the `app-redis` server), in process
 * otherwise; the ready line says which (`realtime`).
 */
const actor = `${uuidv7()}:user`
const email = `bench-${uuidv7()}@example.com`
const password = `bench-${randomBytes(18).toString('base64url')}`
/** No failures are expected; lockouts must not end a run that hits one account from one IP. */
const NO_LOCKOUT = '1000000000'

async function start(): Promise<void> {
  const { config, serve } = appServer('plinth-bench-', {
    REDIS_URL: process.env.REDIS_URL,
    LOGIN_MAX_FAILURES: NO_LOCKOUT,
    LOGIN_MAX_FAILURES_PER_IP: NO_LOCKOUT,
    // The upload scenario sends 50 MiB (the default limit is 25 MiB).
    MAX_UPLOAD_BYTES: String(64 * 1024 * 1024),
  })
  const app = await buildApp(config, { modules: [notesModule, benchModule], authenticate })
  serve(app)
  await app.platform.database.db.execute(createNotesTable)
  const noteId = await insertNote(app)
  const { userId, accessToken } = await register(app)
  await app.listen({ host: config.host, port: config.port })
  const { port } = app.server.address() as AddressInfo
  const realtime = app.platform.redis ? 'redis' : 'embedded'
  printReady({ port, noteId, actor, userId, email, password, accessToken, database: app.platform.database.kind, realtime })
}

/** The notes fixture's `x-test-actor` header when present, otherwise the app's own (JWT) authentication. */
const authenticate: Authenticator = (request) =>
  request.headers['x-test-actor'] === undefined ? request.server.platform.identity.authenticate(request) : headerActor(request)

async function register(app: FastifyInstance): Promise<{ userId: string; accessToken: string }> {
  const response = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: 'Bench User' } })
  if (response.statusCode !== 201) throw new Error(`POST /api/auth/register answered ${response.statusCode}: ${response.body}`)
  const body = response.json<{ user: { id: string }; accessToken: string }>()
  return { userId: body.user.id, accessToken: body.accessToken }
}

async function insertNote(app: FastifyInstance): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/notes', headers: { 'x-test-actor': actor }, payload: { title: 'bench' } })
  if (response.statusCode !== 201) throw new Error(`POST /api/notes answered ${response.statusCode}: ${response.body}`)
  return (response.json<{ id: string }>()).id
}

start().catch((error: unknown) => failStartup(error))
