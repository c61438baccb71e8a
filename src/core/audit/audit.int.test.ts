import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, TEST_PASSWORD, uniqueEmail, type TestUser } from '../../../test/helpers/auth.js'
import { allPages, editUser, expectError, loginRequest } from '../../../test/helpers/user-admin.js'

const app = useTestApp()

interface Entry {
  id: string
  actorId: string | null
  action: string
  targetId: string | null
  ip: string | null
  userAgent: string | null
  details: Record<string, unknown>
  at: string
}

const readAudit = (as: TestUser, query = '') => app().inject({ url: `/api/admin/audit${query ? `?${query}` : ''}`, headers: as.headers })
const entries = async (as: TestUser, query: string) => {
  const response = await readAudit(as, query)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ items: Entry[]; nextCursor: string | null }>().items
}

describe('GET /api/admin/audit', () => {
  it('refuses anonymous callers (401) and callers without audit:read (403)', async () => {
    expectError(await app().inject({ url: '/api/admin/audit' }), 401, 'UNAUTHENTICATED')
    expectError(await app().inject({ url: '/api/admin/audit?from=yesterday' }), 401, 'UNAUTHENTICATED')
    for (const role of ['user', 'worker'] as const) {
      expect(expectError(await readAudit(await loginAs(app(), role)), 403, 'FORBIDDEN').message).toContain('audit:read')
    }
  })

  it('lists an actor’s entries newest first, with where they came from', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await registerUser(app())
    await app().inject({ method: 'POST', url: '/api/auth/login', headers: { 'user-agent': 'phone/1.0' }, remoteAddress: '10.1.2.3', payload: { email: user.email, password: user.password } })
    const items = await entries(admin, `actorId=${user.id}`)
    expect(items.map((entry) => entry.action)).toEqual(['auth.login', 'auth.register'])
    expect(items[0]).toEqual({ id: expect.any(String), actorId: user.id, action: 'auth.login', targetId: null, ip: '10.1.2.3', userAgent: 'phone/1.0', details: {}, at: expect.any(String) })
    expect(Date.parse(items[0]!.at)).toBeGreaterThanOrEqual(Date.parse(items[1]!.at))
  })

  it('records what administrators do to accounts, filterable by action', async () => {
    const admin = await loginAs(app(), 'admin')
    const created = await app().inject({ method: 'POST', url: '/api/users', headers: admin.headers, payload: { email: uniqueEmail(), password: TEST_PASSWORD, name: 'Audited', role: 'user' } })
    const id = created.json<{ id: string }>().id
    await editUser(app(), admin, id, { role: 'worker', version: 1 })
    await editUser(app(), admin, id, { disabled: true, version: 2 })
    await editUser(app(), admin, id, { disabled: false, version: 3 })
    await app().inject({ method: 'DELETE', url: `/api/users/${id}`, headers: admin.headers })

    const mine = (await entries(admin, `actorId=${admin.id}&limit=200`)).filter((entry) => entry.targetId === id)
    expect(mine.map((entry) => entry.action).reverse()).toEqual([
      'user.created',
      'user.role_changed',
      'auth.sessions_revoked',
      'user.disabled',
      'auth.sessions_revoked',
      'user.enabled',
      'auth.sessions_revoked',
      'user.deleted',
      'auth.sessions_revoked',
    ])
    const roleChanges = await entries(admin, `action=user.role_changed&actorId=${admin.id}`)
    expect(roleChanges).toEqual([expect.objectContaining({ targetId: id, details: { from: 'user', to: 'worker' } })])
    const deletions = await entries(admin, 'action=user.deleted&limit=200')
    expect(deletions.every((entry) => entry.action === 'user.deleted')).toBe(true)
    expect(deletions.map((entry) => entry.targetId)).toContain(id)
  })

  it('filters by time range, inclusive at both ends', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await registerUser(app())
    await loginRequest(app(), user.email, user.password)
    const [login, register] = await entries(admin, `actorId=${user.id}`)
    const at = (entry: Entry | undefined) => encodeURIComponent(entry!.at)
    expect((await entries(admin, `actorId=${user.id}&from=${at(login)}`)).map((e) => e.id)).toContain(login!.id)
    expect((await entries(admin, `actorId=${user.id}&to=${at(register)}`)).map((e) => e.id)).toContain(register!.id)
    expect((await entries(admin, `actorId=${user.id}&from=${at(register)}&to=${at(login)}`)).map((e) => e.id).sort()).toEqual([login!.id, register!.id].sort())
    const later = encodeURIComponent(new Date(Date.parse(login!.at) + 60_000).toISOString())
    expect(await entries(admin, `actorId=${user.id}&from=${later}`)).toEqual([])
    const earlier = encodeURIComponent(new Date(Date.parse(register!.at) - 60_000).toISOString())
    expect(await entries(admin, `actorId=${user.id}&to=${earlier}`)).toEqual([])
  })

  it('pages through every entry exactly once, newest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await registerUser(app())
    for (let i = 0; i < 6; i++) await loginRequest(app(), user.email, user.password)
    const all = await entries(admin, `actorId=${user.id}&limit=200`)
    expect(all).toHaveLength(7)
    const paged = await allPages<Entry>(app(), admin, `/api/admin/audit?actorId=${user.id}`, 2)
    expect(paged.map((entry) => entry.id)).toEqual(all.map((entry) => entry.id))
    expect(new Set(paged.map((entry) => entry.id)).size).toBe(7)
    const times = paged.map((entry) => Date.parse(entry.at))
    expect(times).toEqual([...times].sort((a, b) => b - a))
  })

  it('refuses bad filters, cursors and limits (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const details = async (query: string) => expectError(await readAudit(admin, query), 400, 'VALIDATION_FAILED').details
    expect(await details('from=yesterday')).toHaveProperty(['query.from'])
    expect(await details('to=2024-13-45')).toHaveProperty(['query.to'])
    expect(await details('actorId=me')).toHaveProperty(['query.actorId'])
    expect(await details('limit=500')).toHaveProperty(['query.limit'])
    expect(await details('targetId=x')).toEqual({ 'query.targetId': 'is not allowed' })
    expect(await details('from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z')).toEqual({ 'query.from': 'must not be after query.to' })
    expectError(await readAudit(admin, 'cursor=garbage'), 400, 'INVALID_CURSOR')
    const userCursor = Buffer.from(JSON.stringify(['id', null, randomUUID()])).toString('base64url')
    expectError(await readAudit(admin, `cursor=${userCursor}`), 400, 'INVALID_CURSOR')
    const badDate = Buffer.from(JSON.stringify(['-at', 'not a date', randomUUID()])).toString('base64url')
    expectError(await readAudit(admin, `cursor=${badDate}`), 400, 'INVALID_CURSOR')
  })
})
