import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { auditRowsAbout, editUser, expectError, getUser, loginRequest, me, refresh, storedUserRow, type UserBody } from '../../../test/helpers/user-admin.js'

const app = useTestApp()

const stored = async (id: string) => (await app().platform.identity.store.repos.users.findById(id))!
const actionsAbout = async (id: string) => (await auditRowsAbout(app(), id)).map((row) => row.action)

/** The old tokens of `user` no longer work: the access token at once, the refresh token too. */
async function expectSignedOut(user: TestUser): Promise<void> {
  expectError(await me(app(), user.accessToken), 401, 'SESSION_REVOKED')
  expect((await refresh(app(), user.refreshToken)).statusCode).toBe(401)
}

describe('editing your own account', () => {
  it('PATCH changes the name and avatar, bumps the version and records what changed', async () => {
    const user = await registerUser(app(), { name: 'Before' })
    const response = await editUser(app(), user, user.id, { name: 'After', avatarUrl: 'https://img.example/a.png', version: 1 })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id: user.id, name: 'After', avatarUrl: 'https://img.example/a.png', version: 2 })
    expect(await stored(user.id)).toMatchObject({ name: 'After', avatarUrl: 'https://img.example/a.png', version: 2, role: 'user' })
    const entries = await auditRowsAbout(app(), user.id)
    expect(entries.find((row) => row.action === 'user.updated')).toMatchObject({ actorId: user.id, details: { fields: ['name', 'avatarUrl'] } })
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
  })

  it('PATCH with null removes the avatar', async () => {
    const user = await registerUser(app())
    await editUser(app(), user, user.id, { avatarUrl: 'https://img.example/b.png', version: 1 })
    const response = await editUser(app(), user, user.id, { avatarUrl: null, version: 2 })
    expect(response.json()).toMatchObject({ avatarUrl: null, version: 3 })
    expect((await stored(user.id)).avatarUrl).toBeNull()
  })

  it('PUT needs every field you may edit; PATCH at least one', async () => {
    const user = await registerUser(app(), { name: 'Pat' })
    const put = await editUser(app(), user, user.id, { name: 'Put', avatarUrl: null, version: 1 }, 'PUT')
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json()).toMatchObject({ name: 'Put', avatarUrl: null, version: 2 })

    const partial = expectError(await editUser(app(), user, user.id, { name: 'Only name', version: 2 }, 'PUT'), 400, 'VALIDATION_FAILED')
    expect(partial.details).toEqual({ avatarUrl: 'is required' })
    expect(expectError(await editUser(app(), user, user.id, { version: 2 }), 400, 'VALIDATION_FAILED').details).toEqual({ body: 'has no field to change' })
    expect(expectError(await editUser(app(), user, user.id, { name: 'No version' }), 400, 'VALIDATION_FAILED').details).toEqual({ version: 'is required' })
    expect(await stored(user.id)).toMatchObject({ name: 'Put', version: 2 })
  })

  it('refuses invalid values and unknown fields (400), changing nothing', async () => {
    const user = await registerUser(app(), { name: 'Valid' })
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', version: 1 }, 'name'],
      [{ name: 'x'.repeat(101), version: 1 }, 'name'],
      [{ avatarUrl: 'javascript:alert(1)', version: 1 }, 'avatarUrl'],
      [{ avatarUrl: 42, version: 1 }, 'avatarUrl'],
      [{ email: 'new@example.test', version: 1 }, 'email'],
      [{ name: 'Ok', version: 0 }, 'version'],
    ]
    for (const [payload, field] of cases) {
      expect(expectError(await editUser(app(), user, user.id, payload), 400, 'VALIDATION_FAILED').details).toHaveProperty([field])
    }
    expectError(await editUser(app(), user, 'not-a-uuid', { name: 'x', version: 1 }), 400, 'VALIDATION_FAILED')
    expect(await stored(user.id)).toMatchObject({ name: 'Valid', version: 1 })
  })

  it('refuses role and disabled from a non-administrator (403), changing nothing', async () => {
    for (const role of ['user', 'worker'] as const) {
      const caller = await loginAs(app(), role)
      const version = (await stored(caller.id)).version
      for (const change of [{ role: 'admin' }, { disabled: true }, { role: role, name: 'Sneaky' }]) {
        const error = expectError(await editUser(app(), caller, caller.id, { ...change, version }), 403, 'FORBIDDEN')
        expect(error.message).toContain('users:manage')
      }
      expectError(await editUser(app(), caller, caller.id, { name: 'x', avatarUrl: null, role: 'admin', disabled: false, version }, 'PUT'), 403, 'FORBIDDEN')
      expect(await stored(caller.id)).toMatchObject({ role, disabled: false, version })
      expect((await me(app(), caller.accessToken)).statusCode).toBe(200)
    }
  })

  it('answers 409 VERSION_CONFLICT with the current account for a stale version, changing nothing', async () => {
    const user = await registerUser(app(), { name: 'One' })
    expect((await editUser(app(), user, user.id, { name: 'Two', version: 1 })).statusCode).toBe(200)
    const error = expectError(await editUser(app(), user, user.id, { name: 'Lost update', version: 1 }), 409, 'VERSION_CONFLICT')
    const current = (await getUser(app(), user, user.id)).json<UserBody>()
    expect(error.details).toEqual({ current })
    expect(current).toMatchObject({ name: 'Two', version: 2 })
    expectError(await editUser(app(), user, user.id, { name: 'Future', version: 99 }), 409, 'VERSION_CONFLICT')
    expect(await stored(user.id)).toMatchObject({ name: 'Two', version: 2 })
  })
})

describe('editing other accounts', () => {
  it('answers 404 to callers without users:read, and 401 without a token', async () => {
    const [owner, other, worker] = [await registerUser(app(), { name: 'Owner' }), await registerUser(app()), await loginAs(app(), 'worker')]
    expectError(await editUser(app(), other, owner.id, { name: 'Hacked', version: 1 }), 404, 'NOT_FOUND')
    expectError(await editUser(app(), worker, owner.id, { name: 'Hacked', avatarUrl: null, version: 1 }, 'PUT'), 404, 'NOT_FOUND')
    expectError(await app().inject({ method: 'PATCH', url: `/api/users/${owner.id}`, payload: { name: 'Hacked', version: 1 } }), 401, 'UNAUTHENTICATED')
    expect(await stored(owner.id)).toMatchObject({ name: 'Owner', version: 1 })
  })

  it('lets an administrator change any profile; PUT then needs role and disabled too', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app(), { name: 'Rude' })]
    const patched = await editUser(app(), admin, user.id, { name: 'Renamed by staff', version: 1 })
    expect(patched.json()).toMatchObject({ name: 'Renamed by staff', version: 2 })
    const partial = expectError(await editUser(app(), admin, user.id, { name: 'x', avatarUrl: null, version: 2 }, 'PUT'), 400, 'VALIDATION_FAILED')
    expect(partial.details).toEqual({ role: 'is required', disabled: 'is required' })
    const put = await editUser(app(), admin, user.id, { name: 'Full', avatarUrl: null, role: 'user', disabled: false, version: 2 }, 'PUT')
    expect(put.json()).toMatchObject({ name: 'Full', role: 'user', disabled: false, version: 3 })
    // Nothing but the profile changed: the user stays signed in.
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expectError(await editUser(app(), admin, randomUUID(), { name: 'Ghost', version: 1 }), 404, 'NOT_FOUND')
  })

  it('a role change ends every session at once and is audited with from and to', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app())]
    const secondDevice = await loginRequest(app(), user.email, user.password)
    const response = await editUser(app(), admin, user.id, { role: 'worker', version: 1 })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ role: 'worker', version: 2 })
    expect((await stored(user.id)).role).toBe('worker')

    await expectSignedOut(user)
    expectError(await me(app(), secondDevice.json<{ accessToken: string }>().accessToken), 401, 'SESSION_REVOKED')
    const again = await loginRequest(app(), user.email, user.password)
    expect((await me(app(), again.json<{ accessToken: string }>().accessToken)).json()).toMatchObject({ role: 'worker' })

    const entries = await auditRowsAbout(app(), user.id)
    expect(entries.find((row) => row.action === 'user.role_changed')).toMatchObject({ actorId: admin.id, details: { from: 'user', to: 'worker' } })
    expect(entries.find((row) => row.action === 'auth.sessions_revoked')).toMatchObject({ actorId: admin.id, details: { reason: 'role_changed', sessions: 2 } })
  })

  it('setting the same role changes nothing else and keeps the sessions', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app())]
    expect((await editUser(app(), admin, user.id, { role: 'user', version: 1 })).json()).toMatchObject({ role: 'user', version: 2 })
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expect(await actionsAbout(user.id)).toEqual([])
  })

  it('disabling ends every session and blocks sign-in; enabling lets the user back in', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app())]
    const disabled = await editUser(app(), admin, user.id, { disabled: true, version: 1 })
    expect(disabled.json()).toMatchObject({ disabled: true, version: 2 })
    expect((await stored(user.id)).disabled).toBe(true)
    await expectSignedOut(user)
    expectError(await loginRequest(app(), user.email, user.password), 403, 'ACCOUNT_DISABLED')

    const enabled = await editUser(app(), admin, user.id, { disabled: false, version: 2 })
    expect(enabled.json()).toMatchObject({ disabled: false, version: 3 })
    expect((await loginRequest(app(), user.email, user.password)).statusCode).toBe(200)
    expect(await actionsAbout(user.id)).toEqual(['user.disabled', 'auth.sessions_revoked', 'user.enabled', 'auth.sessions_revoked'])
    const rows = await auditRowsAbout(app(), user.id)
    expect(rows.every((row) => row.actorId === admin.id)).toBe(true)
  })

  it('a stale version from an administrator changes nothing and ends no session', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app())]
    await editUser(app(), user, user.id, { name: 'Moved on', version: 1 })
    const error = expectError(await editUser(app(), admin, user.id, { role: 'admin', version: 1 }), 409, 'VERSION_CONFLICT')
    expect(error.details.current).toMatchObject({ role: 'user', version: 2, name: 'Moved on' })
    expect((await storedUserRow(app(), user.id))!.role).toBe('user')
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
  })
})
