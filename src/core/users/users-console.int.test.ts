import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { login, loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { allPages, auditRowsAbout, editUser, expectError, me, refresh, storedSessionRows, type UserBody } from '../../../test/helpers/user-admin.js'

/** What the admin console needs of /api/users beyond listing: status and verification filters, signing an account out everywhere. */
const app = useTestApp()

const marker = (): string => `c${randomUUID().slice(0, 8)}`

describe('GET /api/users filters', () => {
  it('filters by status (active or disabled) and e-mail verification, with the search and role', async () => {
    const admin = await loginAs(app(), 'admin')
    const tag = marker()
    const plain = await registerUser(app(), { name: `${tag} plain` })
    const verified = await registerUser(app(), { name: `${tag} verified` })
    const disabled = await registerUser(app(), { name: `${tag} disabled` })
    await app().platform.identity.store.repos.users.update(verified.id, { emailVerifiedAt: new Date() })
    expect((await editUser(app(), admin, disabled.id, { disabled: true, version: 1 })).statusCode).toBe(200)
    const list = async (query: string) => (await allPages<UserBody>(app(), admin, `/api/users?q=${tag}&${query}`, 200)).map((user) => user.id)

    expect(await list('status=active')).toEqual([plain.id, verified.id])
    expect(await list('status=disabled')).toEqual([disabled.id])
    expect(await list('verified=true')).toEqual([verified.id])
    expect(await list('verified=false')).toEqual([plain.id, disabled.id])
    expect(await list('verified=false&status=active')).toEqual([plain.id])
    expect(await list('verified=true&role=worker')).toEqual([])
  })

  it('pages through a filtered list once, oldest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const tag = marker()
    const active: string[] = []
    for (let i = 0; i < 5; i++) {
      const user = await registerUser(app(), { name: `${tag} ${i}` })
      if (i % 2 === 0) active.push(user.id)
      else expect((await editUser(app(), admin, user.id, { disabled: true, version: 1 })).statusCode).toBe(200)
    }
    expect((await allPages<UserBody>(app(), admin, `/api/users?q=${tag}&status=active`, 1)).map((user) => user.id)).toEqual(active)
  })

  it('refuses unknown statuses and verification values (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const get = (query: string) => app().inject({ url: `/api/users?${query}`, headers: admin.headers })
    expect(expectError(await get('status=deleted'), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.status'])
    expect(expectError(await get('verified=yes'), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.verified'])
  })
})

describe('DELETE /api/users/:id/sessions', () => {
  const revoke = (id: string, as?: TestUser) => app().inject({ method: 'DELETE', url: `/api/users/${id}/sessions`, headers: as?.headers ?? {} })

  it('ends every session of the account at once, audited, and leaves the account as it is', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await registerUser(app())
    const laptop = await login(app(), user.email, user.password)

    const response = await revoke(user.id, admin)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ revoked: 2 })

    for (const device of [user, laptop]) {
      expectError(await me(app(), device.accessToken), 401, 'SESSION_REVOKED')
      expectError(await refresh(app(), device.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    }
    expect((await storedSessionRows(app(), user.id)).map((row) => row.revokedReason)).toEqual(['revoked_by_admin', 'revoked_by_admin'])
    const audit = await auditRowsAbout(app(), user.id)
    expect(audit.at(-1)).toMatchObject({ action: 'auth.sessions_revoked', actorId: admin.id, targetId: user.id, details: { reason: 'revoked_by_admin', sessions: 2 } })
    // Not disabled: the user signs in again.
    const again = await login(app(), user.email, user.password)
    expect((await me(app(), again.accessToken)).statusCode).toBe(200)
    // Nothing left to end.
    expect((await revoke(user.id, admin)).json()).toEqual({ revoked: 1 })
  })

  it('refuses anonymous callers (401), non-administrators (403), unknown accounts (404) and bad ids (400)', async () => {
    const user = await registerUser(app())
    expectError(await revoke(user.id), 401, 'UNAUTHENTICATED')
    for (const role of ['user', 'worker'] as const) {
      const caller = await loginAs(app(), role)
      expect(expectError(await revoke(user.id, caller), 403, 'FORBIDDEN').message).toContain('users:manage')
    }
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    const admin = await loginAs(app(), 'admin')
    expectError(await revoke(randomUUID(), admin), 404, 'NOT_FOUND')
    expect(expectError(await revoke('me', admin), 400, 'VALIDATION_FAILED').details).toHaveProperty(['params.id'])
  })
})
