import { eq } from 'drizzle-orm'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { auditLog } from '../../src/core/audit/db/schema.js'
import { sessions } from '../../src/core/auth/db/schema.js'
import { users } from '../../src/core/users/db/schema.js'
import type { TestUser } from './auth.js'

/** Helpers for the user-administration and audit tests. */

export interface ErrorBody {
  code: string
  message: string
  details: Record<string, unknown>
}

/** Asserts the one error shape, with a status and a code; returns the error. */
export function expectError(response: LightMyRequestResponse, status: number, code: string): ErrorBody {
  expect(response.statusCode, response.body).toBe(status)
  const body = response.json<{ error: ErrorBody }>()
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } })
  return body.error
}

export interface UserBody {
  id: string
  email: string
  username: string | null
  name: string
  avatarUrl: string | null
  role: string
  disabled: boolean
  emailVerified: boolean
  version: number
  createdAt: string
  updatedAt: string
}

/** GET /api/users/:id as `as`. */
export const getUser = (app: FastifyInstance, as: TestUser, id: string) => app.inject({ url: `/api/users/${id}`, headers: as.headers })

/** PATCH (or PUT) /api/users/:id as `as`. */
export const editUser = (app: FastifyInstance, as: TestUser, id: string, payload: Record<string, unknown>, method: 'PATCH' | 'PUT' = 'PATCH') =>
  app.inject({ method, url: `/api/users/${id}`, headers: as.headers, payload })

/** The current version of an account, read through the API by an administrator. */
export async function versionOf(app: FastifyInstance, admin: TestUser, id: string): Promise<number> {
  const response = await getUser(app, admin, id)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<UserBody>().version
}

/** Is this access token still accepted? */
export const me = (app: FastifyInstance, accessToken: string) => app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${accessToken}` } })

export const refresh = (app: FastifyInstance, refreshToken: string) => app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })

export const loginRequest = (app: FastifyInstance, email: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })

/** The stored row, deleted or not (the repository hides deleted accounts). */
export async function storedUserRow(app: FastifyInstance, id: string) {
  const [row] = await app.platform.database.db.select().from(users).where(eq(users.id, id))
  return row
}

export const storedSessionRows = (app: FastifyInstance, userId: string) => app.platform.database.db.select().from(sessions).where(eq(sessions.userId, userId))

/** Audit rows about an account (as target), oldest first. */
export const auditRowsAbout = (app: FastifyInstance, targetId: string) =>
  app.platform.database.db.select().from(auditLog).where(eq(auditLog.targetId, targetId)).orderBy(auditLog.at, auditLog.id)

/** Follows `nextCursor` through every page of a list URL; returns the items in order. */
export async function allPages<T>(app: FastifyInstance, as: TestUser, url: string, limit: number): Promise<T[]> {
  const items: T[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const separator = url.includes('?') ? '&' : '?'
    const response: LightMyRequestResponse = await app.inject({ url: `${url}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, headers: as.headers })
    expect(response.statusCode, response.body).toBe(200)
    const page = response.json<{ items: T[]; nextCursor: string | null }>()
    expect(page.items.length).toBeLessThanOrEqual(limit)
    items.push(...page.items)
    cursor = page.nextCursor
    if (++pages > 100) throw new Error('pagination does not end')
  } while (cursor)
  return items
}
