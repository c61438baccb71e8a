import { randomInt } from 'node:crypto'
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect } from 'vitest'
import { auditLog } from '../../src/core/audit/db/schema.js'
import { emailTokens, refreshTokens, sessions } from '../../src/core/auth/db/schema.js'
import { SendEmail } from '../../src/core/email/email.job.js'
import { createOutboxRepository } from '../../src/core/email/outbox.repository.js'
import type { JobRecord } from '../../src/core/jobs/index.js'
import { users } from '../../src/core/users/db/schema.js'
import { buildTestApp, type TestAppOptions } from './app.js'

/**
 * Helpers for the identity tests: a second app with other settings, the outbox, the audit log,
 * stored rows and the error shape. Tests create their own accounts (`registerUser`), so they never
 * collide on a shared database.
 */

/**
 * Another app on the file's database with other settings, for one describe block. The file's
 * `useTestApp` owns (and closes) the database; this closes only its app.
 */
export function useExtraApp(options: TestAppOptions): () => FastifyInstance {
  let app: FastifyInstance | undefined
  beforeAll(async () => {
    app = await buildTestApp(options)
  })
  afterAll(async () => {
    await app?.close()
  })
  return () => {
    if (!app) throw new Error('The extra app is not built yet')
    return app
  }
}

/** A client IP of its own, so throttles and rate limits (in Redis, across runs) never meet another test's. */
export const uniqueIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

/** Asserts the one error shape, with a status and a code. */
export function expectError(response: LightMyRequestResponse, status: number, code: string): { code: string; message: string; details: Record<string, unknown> } {
  expect(response.statusCode, response.body).toBe(status)
  const body = response.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>()
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } })
  return body.error
}

export const bearer = (accessToken: string): Record<string, string> => ({ authorization: `Bearer ${accessToken}` })

/** GET /api/auth/me with a token: the quickest way to ask "is this access token accepted?". */
export const me = (app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> =>
  app.inject({ url: '/api/auth/me', headers: bearer(accessToken) })

export const refresh = (app: FastifyInstance, refreshToken: string): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })

export const loginRequest = (app: FastifyInstance, payload: Record<string, unknown>, remoteAddress?: string): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload, ...(remoteAddress ? { remoteAddress } : {}) })

/** Messages in the outbox for an address, newest first. */
export const outbox = (app: FastifyInstance, to: string) => createOutboxRepository(app.platform.database.db).listFor(to.toLowerCase())

/** The `email.send` jobs queued for an address, newest first, whatever their state (sent, waiting, failed). */
export async function queuedEmails(app: FastifyInstance, to: string): Promise<JobRecord[]> {
  const jobs = await app.platform.jobs.list(SendEmail.name, { limit: 1000 })
  return jobs.filter((job) => (job.payload as { to?: string }).to === to.toLowerCase())
}

/** Polls until `probe` returns something (for work done after the response, like forgot-password). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`nothing arrived within ${timeoutMs} ms`)
    await sleep(25)
  }
}

/** The newest message to `to` whose subject matches, once it exists. */
export const waitForMessage = (app: FastifyInstance, to: string, subject: RegExp) =>
  waitFor(async () => (await outbox(app, to)).find((message) => subject.test(message.subject)))

/** The token of the first `<path>?token=…` link in a text. */
export function linkToken(text: string, path: '/verify-email' | '/reset-password'): string {
  const match = new RegExp(`https?://\\S+${path}\\?token=([A-Za-z0-9_-]+)`).exec(text)
  if (!match) throw new Error(`no ${path} link in:\n${text}`)
  return match[1]!
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export async function storedUser(app: FastifyInstance, email: string) {
  const [row] = await app.platform.database.db.select().from(users).where(eq(users.email, email.toLowerCase()))
  return row
}

export const storedSessions = (app: FastifyInstance, userId: string) =>
  app.platform.database.db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(sessions.createdAt)

/** Audit actions recorded with the user as actor, oldest first. */
export async function auditActions(app: FastifyInstance, userId: string): Promise<string[]> {
  const rows = await app.platform.database.db.select().from(auditLog).where(eq(auditLog.actorId, userId)).orderBy(auditLog.at, auditLog.id)
  return rows.map((row) => row.action)
}

/** Failed sign-ins recorded for a login name (e-mail or username, lower-cased). */
export const failedLoginsFor = (app: FastifyInstance, login: string) =>
  app.platform.database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, 'auth.login_failed'), sql`${auditLog.details}->>'login' = ${login}`))

/** Moves a user's e-mail tokens (or a session) into the past, as if time had passed. */
export async function expireEmailTokens(app: FastifyInstance, userId: string): Promise<void> {
  await app.platform.database.db
    .update(emailTokens)
    .set({ expiresAt: sql`now() - interval '1 minute'` })
    .where(eq(emailTokens.userId, userId))
}

/** Moves the user's rotated refresh tokens a minute into the past: past any grace window, without waiting. */
export async function rotatedAMinuteAgo(app: FastifyInstance, userId: string): Promise<void> {
  await app.platform.database.db
    .update(refreshTokens)
    .set({ rotatedAt: sql`${refreshTokens.rotatedAt} - interval '1 minute'` })
    .where(and(isNotNull(refreshTokens.rotatedAt), inArray(refreshTokens.sessionId, app.platform.database.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId)))))
}

/** Moves the last use of every session of the user a minute into the past (their order unchanged). */
export async function usedAMinuteAgo(app: FastifyInstance, userId: string): Promise<void> {
  await app.platform.database.db
    .update(sessions)
    .set({ lastUsedAt: sql`${sessions.lastUsedAt} - interval '1 minute'` })
    .where(eq(sessions.userId, userId))
}

export async function expireSessions(app: FastifyInstance, userId: string): Promise<void> {
  await app.platform.database.db
    .update(sessions)
    .set({ expiresAt: sql`now() - interval '1 minute'` })
    .where(eq(sessions.userId, userId))
}
