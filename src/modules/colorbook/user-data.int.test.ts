import { describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, projectsOwnedBy, setPlan, share, storedProject, storedStories } from '../../../test/helpers/colorbook.js'
import { storedCollaborators, storedVersions } from '../../../test/helpers/colorbook-sharing.js'
import { insertUsageEvents, setBranding, storedUsageEvents } from '../../../test/helpers/colorbook-exports.js'
import { ratingsBy, storedBranding, storedTemplate } from '../../../test/helpers/colorbook-templates.js'
import { insertTemplate, loggedRows, pendingSharesOf, setStripeCustomer, storedSubscription, storedUsageEvent } from '../../../test/helpers/colorbook-user-data.js'
import { waitFor } from '../../../test/helpers/identity.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({ modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)) })

describe("ColorBook's part of a user's data", () => {
  it('the export lists their projects with counts, collaborations, templates, ratings, usage count, plan and AI keys', async () => {
    const [ada, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), ada, 'pro')
    const mine = await createProject(app(), ada, { title: 'Dragons' })
    await addChild(app(), ada, mine.id, 'stories', { text: 'one' })
    await addChild(app(), ada, mine.id, 'stories', { text: 'two' })
    await addChild(app(), ada, mine.id, 'drawings', { strokes: [] })
    expect((await call(app(), ada, 'POST', `/api/projects/${mine.id}/versions`, { label: 'v1' })).statusCode).toBe(201)
    const theirs = await createProject(app(), bob, { title: 'Bob’s book' })
    await share(app(), theirs.id, ada, 'viewer')
    const own = await insertTemplate(app(), ada, 'Ada’s template')
    const rated = await insertTemplate(app(), bob, 'Bob’s template', [[ada, 4]])
    await insertUsageEvents(app(), [
      { userId: ada.id, type: 'project.created' },
      { userId: ada.id, type: 'export.pdf' },
      { userId: bob.id, type: 'export.pdf' },
    ])

    const response = await app().inject({ url: `/api/users/${ada.id}/export`, headers: ada.headers })
    expect(response.statusCode, response.body).toBe(200)
    const part = response.json().modules.colorbook
    expect(part.projects).toEqual([{ id: mine.id, title: 'Dragons', createdAt: expect.stringMatching(/Z$/), trashedAt: null, stories: 2, images: 0, drawings: 1, versions: 1 }])
    expect(part.collaborations).toEqual([{ projectId: theirs.id, title: 'Bob’s book', role: 'viewer', since: expect.stringMatching(/Z$/) }])
    expect(part.templates).toEqual([{ id: own, title: 'Ada’s template', public: true, premium: false, usageCount: 0, ratingCount: 0, createdAt: expect.stringMatching(/Z$/) }])
    expect(part.ratings).toEqual([{ templateId: rated, rating: 4, updatedAt: expect.stringMatching(/Z$/) }])
    // Theirs only (the services' own, like project.created, and the two above).
    expect(part.usageEvents).toEqual({ count: (await storedUsageEvents(app(), ada.id)).length })
    expect(part.usageEvents.count).toBeGreaterThanOrEqual(2)
    expect(part.subscription).toEqual({ plan: 'pro', status: 'active', currentPeriodEnd: null })
    expect(part.aiKeys).toEqual([])

    // No subscription row: the free plan.
    const bobs = (await app().inject({ url: `/api/users/${bob.id}/export`, headers: bob.headers })).json().modules.colorbook
    expect(bobs.subscription).toEqual({ plan: 'free', status: 'active', currentPeriodEnd: null })
    expect(bobs.collaborations).toEqual([])
  })

  it('deleting the account erases their projects (tombstones for collaborators), shares, ratings (aggregates kept right), templates, branding; anonymises usage', async () => {
    const [ada, bob, cat] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    await setPlan(app(), ada, 'enterprise')
    const mine = await createProject(app(), ada, { title: 'Ada’s' })
    const story = await addChild(app(), ada, mine.id, 'stories', { text: 'gone' })
    const invite = await call(app(), ada, 'POST', `/api/projects/${mine.id}/collaborators`, { email: bob.email, role: 'editor' })
    expect(invite.statusCode, invite.body).toBe(201)
    expect((await call(app(), ada, 'POST', `/api/projects/${mine.id}/collaborators`, { email: `nobody-${ada.id}@example.com`, role: 'viewer' })).statusCode).toBe(202)
    const theirs = await createProject(app(), bob, { title: 'Bob’s' })
    await share(app(), theirs.id, ada, 'editor')
    await share(app(), theirs.id, cat, 'viewer')
    const own = await insertTemplate(app(), ada, 'Ada’s template', [[cat, 5]])
    const rated = await insertTemplate(app(), bob, 'Bob’s template', [
      [ada, 4],
      [cat, 2],
    ])
    await insertUsageEvents(app(), [{ userId: ada.id, type: 'export.pdf', metadata: { note: 'mine' } }])
    const usage = (await storedUsageEvents(app(), ada.id)).find((e) => e.type === 'export.pdf')
    await setBranding(app(), ada.id, { name: 'Ada Inc.' })
    // Bob's device holds Ada's project.
    const bobAt = await waitFor(async () => {
      const page = (await call(app(), bob, 'GET', '/api/sync/changes')).json<{ changes: { entityId: string }[]; cursor: string; hasMore: boolean }>()
      return !page.hasMore && page.changes.some((c) => c.entityId === story.id) ? page.cursor : undefined
    })

    expect((await app().inject({ method: 'DELETE', url: `/api/users/${ada.id}`, headers: ada.headers })).statusCode).toBe(204)
    // The platform runs the module's cleanup in a job after the answer.
    await waitFor(async () => ((await projectsOwnedBy(app(), ada.id)).length === 0 && (await storedCollaborators(app(), theirs.id)).length === 1 ? true : undefined), 15_000)

    expect(await storedStories(app(), mine.id)).toEqual([])
    expect(await pendingSharesOf(app(), mine.id)).toEqual([])
    // Bob's project stays, without Ada.
    expect(await storedProject(app(), theirs.id)).toBeDefined()
    expect((await storedCollaborators(app(), theirs.id)).map((c) => c.userId)).toEqual([cat.id])
    // Her rating is out of Bob's template's sum and count; her own template is gone (with its ratings).
    expect(await storedTemplate(app(), rated)).toMatchObject({ ratingSum: 2, ratingCount: 1 })
    expect(await storedTemplate(app(), own)).toBeUndefined()
    expect(await ratingsBy(app(), ada.id)).toEqual([])
    expect(await ratingsBy(app(), cat.id)).toEqual([expect.objectContaining({ templateId: rated, rating: 2 })])
    // Usage events stay for the counts, naming nobody.
    const anonymous = await storedUsageEvent(app(), usage!.id)
    expect(anonymous).toMatchObject({ userId: null, type: 'export.pdf', metadata: {} })
    expect(await storedUsageEvents(app(), ada.id)).toEqual([])
    expect(await storedBranding(app(), ada.id)).toBeUndefined()
    // No Stripe customer: the plan mirror goes.
    expect(await storedSubscription(app(), ada.id)).toBeUndefined()

    // Bob's devices drop Ada's project: a tombstone in his feed (and in nobody's but his).
    const after = await waitFor(async () => {
      const page = (await call(app(), bob, 'GET', `/api/sync/changes?since=${bobAt}`)).json<{ changes: { entityId: string; op: string; data: unknown }[] }>()
      return page.changes.some((c) => c.entityId === mine.id) ? page.changes : undefined
    })
    expect(after.filter((c) => c.entityId === mine.id)).toEqual([expect.objectContaining({ entity: 'project', op: 'delete', data: null })])
    const tombstones = await loggedRows(app(), mine.id)
    expect(tombstones.filter((c) => c.op === 'delete').map((c) => c.audience)).toEqual([[bob.id]])
    // No audience names her any more.
    expect(tombstones.filter((c) => c.audience?.includes(ada.id))).toEqual([])

    // Idempotent: a retry changes nothing and does not fail.
    await api.userData.erase(ada.id)
    expect(await storedTemplate(app(), rated)).toMatchObject({ ratingSum: 2, ratingCount: 1 })
  })

  it('keeps the subscription mirror of a Stripe customer (billing may still need it); versions stop naming the erased creator', async () => {
    const [dan, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), dan, 'pro')
    await setStripeCustomer(app(), dan.id, `cus_${dan.id}`)
    await setPlan(app(), bob, 'pro')
    const theirs = await createProject(app(), bob)
    await share(app(), theirs.id, dan, 'editor')
    expect((await call(app(), dan, 'POST', `/api/projects/${theirs.id}/versions`, { label: 'by Dan' })).statusCode).toBe(201)

    await api.userData.erase(dan.id)
    expect(await storedSubscription(app(), dan.id)).toMatchObject({ planId: 'pro', stripeCustomerId: `cus_${dan.id}` })
    expect((await storedVersions(app(), theirs.id)).map((v) => v.createdBy)).toEqual([null])
    expect(await storedCollaborators(app(), theirs.id)).toEqual([])
  })
})
