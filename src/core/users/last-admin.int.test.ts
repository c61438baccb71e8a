import { eq } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { usePrivateApp } from '../../../test/helpers/private-app.js'
import { editUser, expectError, me } from '../../../test/helpers/user-admin.js'
import { users } from './db/schema.js'

// "The last active administrator" is about every account in the database, so this file has one of its own.
const app = usePrivateApp()

const repository = () => app().platform.identity.store.repos.users
const stored = async (id: string) => (await repository().findById(id))!
const version = async (user: TestUser) => (await stored(user.id)).version

beforeEach(async () => {
  await app().platform.database.db.update(users).set({ role: 'user' }).where(eq(users.role, 'admin'))
})

describe('the last active administrator', () => {
  it('cannot demote, disable or delete themselves (409); nothing changes', async () => {
    const admin = await loginAs(app(), 'admin')
    const before = await version(admin)
    for (const change of [{ role: 'user' }, { role: 'worker' }, { disabled: true }]) {
      const error = expectError(await editUser(app(), admin, admin.id, { ...change, version: before }), 409, 'CONFLICT')
      expect(error.message).toContain('last active administrator')
    }
    expectError(await editUser(app(), admin, admin.id, { name: 'A', avatarUrl: null, role: 'user', disabled: false, version: before }, 'PUT'), 409, 'CONFLICT')
    expectError(await app().inject({ method: 'DELETE', url: `/api/users/${admin.id}`, headers: admin.headers }), 409, 'CONFLICT')
    expect(await stored(admin.id)).toMatchObject({ role: 'admin', disabled: false, version: before })
    expect((await me(app(), admin.accessToken)).statusCode).toBe(200)
    // Editing the profile is still fine.
    expect((await editUser(app(), admin, admin.id, { name: 'Still in charge', role: 'admin', version: before })).statusCode).toBe(200)
  })

  it('may step down once another administrator is active; disabled administrators do not count', async () => {
    const [first, second] = [await loginAs(app(), 'admin'), await loginAs(app(), 'admin')]
    expect(await repository().countAdmins()).toBe(2)
    expect((await editUser(app(), first, second.id, { disabled: true, version: await version(second) })).statusCode).toBe(200)
    expectError(await editUser(app(), first, first.id, { role: 'user', version: await version(first) }), 409, 'CONFLICT')

    const third = await loginAs(app(), 'admin')
    const demoted = await editUser(app(), first, first.id, { role: 'user', version: await version(first) })
    expect(demoted.statusCode, demoted.body).toBe(200)
    expect(await repository().countAdmins()).toBe(1)
    expectError(await editUser(app(), third, third.id, { disabled: true, version: await version(third) }), 409, 'CONFLICT')
    // Deleting an administrator who is not the last is allowed.
    const fourth = await loginAs(app(), 'admin')
    expect((await app().inject({ method: 'DELETE', url: `/api/users/${fourth.id}`, headers: third.headers })).statusCode).toBe(204)
    expect(await repository().countAdmins()).toBe(1)
  })

  // Each round is a fresh pair of the only two administrators, demoting each other at once; without
  // the row locks of lockActiveAdmins both pass the check and no administrator remains.
  it('two administrators demoting each other at the same moment: exactly one succeeds (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      await app().platform.database.db.update(users).set({ role: 'user' }).where(eq(users.role, 'admin'))
      const [left, right] = [await loginAs(app(), 'admin'), await loginAs(app(), 'admin')]
      const [leftVersion, rightVersion] = [await version(left), await version(right)]
      const [a, b] = await Promise.all([
        editUser(app(), left, right.id, { role: 'user', version: rightVersion }),
        editUser(app(), right, left.id, { role: 'user', version: leftVersion }),
      ])
      expect([a.statusCode, b.statusCode].sort(), `round ${round}: ${a.body} ${b.body}`).toEqual([200, 409])
      expect(await repository().countAdmins()).toBe(1)
    }
  })
})
