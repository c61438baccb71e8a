import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { call, createProject, setPlan } from '../../../test/helpers/colorbook.js'
import { insertUsageEvents, runJob, storedUsageDaily, storedUsageEvents } from '../../../test/helpers/colorbook-exports.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()
const track = (user: TestUser | undefined, payload: unknown) => call(app(), user, 'POST', '/api/analytics/events', payload)
const storedEvents = (user: TestUser) => storedUsageEvents(app(), user.id)
const generated = { type: 'image.generated', metadata: { provider: 'openai', model: 'gpt-image-1' } }

/** Sends the roll-up for the days and waits for the job to finish. */
const rollUp = (from: string, to: string) => runJob(app(), 'colorbook.usage-rollup', { from, to })

describe('POST /api/analytics/events', () => {
  it('stores a valid batch as the caller’s events', async () => {
    const ada = await loginAs(app())
    const at = new Date(Date.now() - 3_600_000).toISOString()
    const response = await track(ada, { events: [generated, { type: 'app.opened', at, metadata: { platform: 'ios' } }, { type: 'project.opened', entityType: 'project', entityId: '00000000-0000-7000-8000-000000000009' }] })
    expect(response.statusCode, response.body).toBe(202)
    expect(response.json()).toEqual({ accepted: 3 })
    const stored = await storedEvents(ada)
    expect(stored.map((e) => [e.type, e.metadata, e.entityType])).toEqual([
      ['image.generated', { provider: 'openai', model: 'gpt-image-1' }, null],
      ['app.opened', { platform: 'ios' }, null],
      ['project.opened', {}, 'project'],
    ])
    expect(stored[1]!.at.toISOString()).toBe(at)
  })

  it('refuses the whole batch when any event is invalid, naming it', async () => {
    const ada = await loginAs(app())
    const refuse = async (payload: unknown, path?: string) => {
      const error = expectError(await track(ada, payload), 400, 'VALIDATION_FAILED')
      if (path) expect(Object.keys(error.details)).toContain(path)
    }
    await refuse({ events: [generated, { type: 'image.generated', metadata: { provider: 'openai' } }] }, '/events/1/metadata')
    await refuse({ events: [{ type: 'image.generated', metadata: { provider: 'openai', model: 'm', prompt: 'secret' } }] }, '/events/0/metadata')
    await refuse({ events: [{ type: 'image.generated', metadata: { provider: 'skynet', model: 'm' } }] }, '/events/0/metadata')
    await refuse({ events: [{ type: 'project.created' }] })
    await refuse({ events: [{ type: 'nope' }] })
    await refuse({ events: [{ ...generated, at: new Date(Date.now() + 3_600_000).toISOString() }] }, '/events/0/at')
    await refuse({ events: [{ ...generated, at: new Date(Date.now() - 40 * 86_400_000).toISOString() }] }, '/events/0/at')
    await refuse({ events: [{ type: 'project.opened', entityType: 'project' }] }, '/events/0/entityId')
    await refuse({ events: [{ ...generated, userId: ada.id }] })
    await refuse({ events: generated })
    await refuse({ events: [] })
    await refuse({ events: Array.from({ length: 101 }, () => generated) })
    await refuse({ events: [generated], extra: true })
    expect(await storedEvents(ada)).toEqual([])
    expect((await track(ada, { events: Array.from({ length: 100 }, () => generated) })).json()).toEqual({ accepted: 100 })
    expectError(await track(undefined, { events: [generated] }), 401, 'UNAUTHENTICATED')
  })

  it('is rate-limited per account (429 with Retry-After)', async () => {
    const busy = await loginAs(app())
    const other = await loginAs(app())
    for (let i = 0; i < 60; i++) expect((await track(busy, { events: [generated] })).statusCode).toBe(202)
    const refused = await track(busy, { events: [generated] })
    expectError(refused, 429, 'RATE_LIMITED')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(await storedEvents(busy)).toHaveLength(60)
    expect((await track(other, { events: [generated] })).statusCode).toBe(202)
  })
})

describe('usage events from the services', () => {
  it('records project.created and project.duplicated with the write, and nothing for a refused one', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const copy = await call(app(), ada, 'POST', `/api/projects/${project.id}/duplicate`)
    expect(copy.statusCode).toBe(201)
    expectError(await call(app(), ada, 'POST', '/api/projects', { title: '' }), 400, 'VALIDATION_FAILED')
    expect((await storedEvents(ada)).map((e) => [e.type, e.entityType, e.entityId, e.metadata])).toEqual([
      ['project.created', 'project', project.id, {}],
      ['project.duplicated', 'project', copy.json().id, { from: project.id }],
    ])
  })
})

describe('GET /api/analytics/me', () => {
  it('counts the caller’s own events per type and day, in the range', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    const today = new Date().toISOString().slice(0, 10)
    await track(ada, { events: [generated, generated, { type: 'drawing.saved' }] })
    await track(bob, { events: [generated] })
    await insertUsageEvents(app(), [{ userId: ada.id, type: 'export.created', at: new Date('2020-01-01T12:00:00Z') }])
    const mine = await call(app(), ada, 'GET', '/api/analytics/me')
    expect(mine.statusCode, mine.body).toBe(200)
    expect(mine.json()).toMatchObject({ to: today, totals: [{ type: 'drawing.saved', count: 1 }, { type: 'image.generated', count: 2 }] })
    expect(mine.json().days).toEqual([
      { day: today, type: 'drawing.saved', count: 1 },
      { day: today, type: 'image.generated', count: 2 },
    ])
    const old = await call(app(), ada, 'GET', '/api/analytics/me?from=2020-01-01&to=2020-01-31')
    expect(old.json()).toEqual({ from: '2020-01-01', to: '2020-01-31', totals: [{ type: 'export.created', count: 1 }], days: [{ day: '2020-01-01', type: 'export.created', count: 1 }] })
    expectError(await call(app(), ada, 'GET', '/api/analytics/me?from=2020-02-01&to=2020-01-01'), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'GET', '/api/analytics/me?from=2019-01-01&to=2020-06-01'), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'GET', '/api/analytics/me?from=yesterday'), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'GET', '/api/analytics/me?user=x'), 400, 'VALIDATION_FAILED')
  })
})

describe('the roll-up and GET /api/admin/analytics', () => {
  // Days nobody else's tests write to: Monday 2021-03-01 to Wednesday 2021-03-03.
  const events = (users: TestUser[]) => [
    { userId: users[0]!.id, type: 'project.created', at: new Date('2021-03-01T00:00:00Z') },
    { userId: users[0]!.id, type: 'project.created', at: new Date('2021-03-01T23:59:59Z') },
    { userId: users[1]!.id, type: 'project.created', at: new Date('2021-03-01T10:00:00Z') },
    { userId: users[1]!.id, type: 'template.used', at: new Date('2021-03-02T10:00:00Z') },
    { userId: users[2]!.id, type: 'image.generated', metadata: { provider: 'openai', model: 'm' }, at: new Date('2021-03-03T10:00:00Z') },
    { userId: users[2]!.id, type: 'plan.upgraded', metadata: { from: 'free', to: 'pro' }, at: new Date('2021-03-03T11:00:00Z') },
    // The day before the range, and a week before: in the month's count only.
    { userId: users[3]!.id, type: 'app.opened', at: new Date('2021-02-28T23:59:59Z') },
  ]

  it('rolls events up per day, week and month, idempotently, and the dashboard reads it (JSON and CSV)', async () => {
    const admin = await loginAs(app(), 'admin')
    const users = [await loginAs(app()), await loginAs(app()), await loginAs(app()), await loginAs(app())]
    await setPlan(app(), users[2]!, 'pro')
    await insertUsageEvents(app(), events(users))
    await rollUp('2021-02-28', '2021-03-03')
    await rollUp('2021-03-01', '2021-03-03')

    const response = await call(app(), admin, 'GET', '/api/admin/analytics?from=2021-03-01&to=2021-03-03')
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({ from: '2021-03-01', to: '2021-03-03' })
    expect(body.activeUsers).toEqual({
      daily: [
        { day: '2021-03-01', users: 2 },
        { day: '2021-03-02', users: 1 },
        { day: '2021-03-03', users: 1 },
      ],
      // The week of 2021-02-22 ended before the range.
      weekly: [{ day: '2021-03-01', users: 3 }],
      monthly: [{ day: '2021-03-01', users: 3 }],
    })
    expect(body.events).toEqual([
      { day: '2021-03-01', type: 'project.created', count: 3, users: 2 },
      { day: '2021-03-02', type: 'template.used', count: 1, users: 1 },
      { day: '2021-03-03', type: 'image.generated', count: 1, users: 1 },
      { day: '2021-03-03', type: 'plan.upgraded', count: 1, users: 1 },
    ])
    expect(body.projectsCreated).toEqual([{ day: '2021-03-01', count: 3 }])
    expect(body.templateUsage).toEqual([{ day: '2021-03-02', count: 1 }])
    expect(body.conversions).toEqual([{ day: '2021-03-03', count: 1 }])
    expect(body.planMix.activeUsers).toEqual([
      { plan: 'free', users: 2 },
      { plan: 'pro', users: 1 },
    ])
    expect(body.planMix.paidSubscriptions.find((row: { plan: string }) => row.plan === 'pro').users).toBeGreaterThanOrEqual(1)
    const stored = await storedUsageDaily(app(), '2021-03-01')
    expect(stored.filter((row) => row.type === 'project.created')).toEqual([{ day: '2021-03-01', type: 'project.created', count: 3, users: 2 }])

    // A late event and a second run: the day is recounted, not added to.
    await insertUsageEvents(app(), [{ userId: users[3]!.id, type: 'project.created', at: new Date('2021-03-01T12:00:00Z') }])
    await rollUp('2021-03-01', '2021-03-01')
    const again = (await call(app(), admin, 'GET', '/api/admin/analytics?from=2021-03-01&to=2021-03-01')).json()
    expect(again.projectsCreated).toEqual([{ day: '2021-03-01', count: 4 }])
    expect(again.activeUsers.daily).toEqual([{ day: '2021-03-01', users: 3 }])
    expect(again.activeUsers.weekly).toEqual([{ day: '2021-03-01', users: 4 }])

    const csv = await call(app(), admin, 'GET', '/api/admin/analytics?from=2021-03-01&to=2021-03-03&format=csv')
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.headers['content-disposition']).toBe('attachment; filename="colorbook-analytics-2021-03-01-2021-03-03.csv"')
    const lines = csv.body.trim().split('\r\n')
    expect(lines[0]).toBe('metric,day,type,count,users')
    expect(lines).toContain('events,2021-03-01,project.created,4,3')
    expect(lines).toContain('active_users_weekly,2021-03-01,,,4')
    expect(lines).toContain('conversions,2021-03-03,,1,')
  })

  it('is for admins only', async () => {
    const user = await loginAs(app())
    expectError(await call(app(), user, 'GET', '/api/admin/analytics'), 403, 'FORBIDDEN')
    expectError(await call(app(), undefined, 'GET', '/api/admin/analytics'), 401, 'UNAUTHENTICATED')
    const admin = await loginAs(app(), 'admin')
    expectError(await call(app(), admin, 'GET', '/api/admin/analytics?format=xml'), 400, 'VALIDATION_FAILED')
    expect((await call(app(), admin, 'GET', '/api/admin/analytics')).statusCode).toBe(200)
  })
})
