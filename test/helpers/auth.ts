import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import type { Role } from '../../src/core/access/roles.js'

export interface TestUser {
  id: string
  email: string
  password: string
  accessToken: string
  refreshToken: string
  /** `{ authorization: 'Bearer …' }` */
  headers: Record<string, string>
}

export const TEST_PASSWORD = 'a long enough passphrase'

/** A unique e-mail per call, so tests never collide on a shared database. */
export const uniqueEmail = (prefix = 'user'): string => `${prefix}-${randomUUID()}@example.test`

/** Registers through the API and returns the signed-in user. */
export async function registerUser(app: FastifyInstance, overrides: { email?: string; password?: string; name?: string; username?: string } = {}): Promise<TestUser> {
  const email = overrides.email ?? uniqueEmail()
  const password = overrides.password ?? TEST_PASSWORD
  const response = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { name: overrides.name ?? 'Test User', ...overrides, email, password } })
  expect(response.statusCode, response.body).toBe(201)
  return signedIn(response.json(), email, password)
}

/** A signed-in account with the given role (roles other than `user` are set directly in the store). */
export async function loginAs(app: FastifyInstance, role: Role = 'user'): Promise<TestUser> {
  const user = await registerUser(app)
  if (role === 'user') return user
  await app.platform.identity.store.repos.users.update(user.id, { role })
  return login(app, user.email, user.password)
}

export async function login(app: FastifyInstance, email: string, password: string): Promise<TestUser> {
  const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })
  expect(response.statusCode, response.body).toBe(200)
  return signedIn(response.json(), email, password)
}

function signedIn(body: { user: { id: string }; accessToken: string; refreshToken: string }, email: string, password: string): TestUser {
  return {
    id: body.user.id,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    headers: { authorization: `Bearer ${body.accessToken}` },
  }
}
