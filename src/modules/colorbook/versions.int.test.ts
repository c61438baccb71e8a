import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { JobContext } from '../../core/jobs/index.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, setPlan, setProject, share, storedChanges, storedDrawings, storedImages, storedProject, storedStories } from '../../../test/helpers/colorbook.js'
import { editSnapshot, storedVersions as versionsOf } from '../../../test/helpers/colorbook-sharing.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'
import { autoVersionsJob } from './versions.job.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)),
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

const storedVersions = (projectId: string) => versionsOf(app(), projectId)
const versionsUrl = (projectId: string) => `/api/projects/${projectId}/versions`

async function saveVersion(user: TestUser, projectId: string, label?: string) {
  const response = await call(app(), user, 'POST', versionsUrl(projectId), label === undefined ? {} : { label })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; kind: string; label: string | null }>()
}

describe('POST and GET /api/projects/:id/versions', () => {
  it('saves named and automatic versions with the whole project, lists them newest first and returns one with its snapshot', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'Dragons', tags: ['kids'] })
    const story = await addChild(app(), ada, project.id, 'stories', { title: 'One', text: 'Once upon a time' })
    await addChild(app(), ada, project.id, 'drawings', { strokes: [{ points: [[1, 2]], width: 3 }] })

    const named = await saveVersion(ada, project.id, '  First draft ')
    expect(named).toEqual({ id: expect.any(String), projectId: project.id, kind: 'named', label: 'First draft', projectVersion: 1, createdBy: ada.id, sizeBytes: expect.any(Number), createdAt: expect.stringMatching(/Z$/) })
    const automatic = await saveVersion(ada, project.id)
    expect(automatic).toMatchObject({ kind: 'automatic', label: null })

    const list = (await call(app(), ada, 'GET', versionsUrl(project.id))).json()
    expect(list.items.map((v: { id: string }) => v.id)).toEqual([automatic.id, named.id])
    expect(list.items[0]).not.toHaveProperty('snapshot')
    expect((await call(app(), ada, 'GET', `${versionsUrl(project.id)}?kind=named`)).json().items.map((v: { id: string }) => v.id)).toEqual([named.id])
    const firstPage = (await call(app(), ada, 'GET', `${versionsUrl(project.id)}?limit=1`)).json()
    expect(firstPage.items.map((v: { id: string }) => v.id)).toEqual([automatic.id])
    const secondPage = (await call(app(), ada, 'GET', `${versionsUrl(project.id)}?limit=1&cursor=${firstPage.nextCursor}`)).json()
    expect(secondPage).toEqual({ items: [expect.objectContaining({ id: named.id })], nextCursor: null })

    const one = (await call(app(), ada, 'GET', `${versionsUrl(project.id)}/${named.id}`)).json()
    expect(one.snapshot).toMatchObject({
      format: 1,
      project: { id: project.id, title: 'Dragons', tags: ['kids'], version: 1 },
      stories: [{ id: story.id, title: 'One', text: 'Once upon a time', version: 1 }],
      drawings: [{ strokes: [{ points: [[1, 2]], width: 3 }] }],
      images: [],
      characters: [],
      stylePresets: [],
    })
    const versionChanges = (await storedChanges(app(), project.id)).filter((c) => c.entity === 'version')
    expect(versionChanges).toEqual([
      { entity: 'version', entityId: named.id, op: 'create', version: 1 },
      { entity: 'version', entityId: automatic.id, op: 'create', version: 1 },
    ])
  })

  it('lets a viewer read versions but not save one; strangers get 404; bad input is 400', async () => {
    const [ada, vi, ed, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vi, 'viewer')
    await share(app(), project.id, ed, 'editor')
    const version = await saveVersion(ed, project.id, 'by the editor')
    expect((await call(app(), vi, 'GET', versionsUrl(project.id))).json().items).toHaveLength(1)
    expect((await call(app(), vi, 'GET', `${versionsUrl(project.id)}/${version.id}`)).statusCode).toBe(200)
    expectError(await call(app(), vi, 'POST', versionsUrl(project.id), { label: 'x' }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), vi, 'POST', `${versionsUrl(project.id)}/${version.id}/restore`), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), stranger, 'GET', versionsUrl(project.id)), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'GET', `${versionsUrl(project.id)}/${version.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'POST', versionsUrl(project.id), {}), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'POST', `${versionsUrl(project.id)}/${version.id}/restore`), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'GET', `${versionsUrl(project.id)}/${project.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'POST', versionsUrl(project.id), { label: 'x', pinned: true }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', versionsUrl(project.id), { label: '   ' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', versionsUrl(project.id), { label: 7 }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'GET', `${versionsUrl(project.id)}?cursor=nonsense`), 400, 'INVALID_CURSOR')
    await setProject(app(), project.id, { trashedAt: new Date() })
    expectError(await call(app(), ada, 'POST', versionsUrl(project.id), {}), 409, 'COLORBOOK_PROJECT_TRASHED')
    expectError(await call(app(), ada, 'POST', `${versionsUrl(project.id)}/${version.id}/restore`), 409, 'COLORBOOK_PROJECT_TRASHED')
    expectError(await call(app(), ed, 'GET', versionsUrl(project.id)), 404, 'NOT_FOUND')
    expect((await call(app(), ada, 'GET', versionsUrl(project.id))).json().items).toHaveLength(1)
    expect(await storedVersions(project.id)).toHaveLength(1)
  })
})

describe('plan limits (versionsPerProject)', () => {
  it('prunes the oldest automatic versions first, then system ones, never named ones; named ones filling the plan are 402', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const oldAuto = await saveVersion(ada, project.id)
    const named = []
    for (let i = 0; i < 8; i++) named.push(await saveVersion(ada, project.id, `v${i}`))
    // A restore adds a system version: 10 now, the free plan's limit.
    expect((await call(app(), ada, 'POST', `${versionsUrl(project.id)}/${named[0]!.id}/restore`)).statusCode).toBe(200)
    const kinds = async () => (await storedVersions(project.id)).map((v) => v.kind)
    expect(await kinds()).toEqual(['automatic', ...Array(8).fill('named'), 'system'])

    const newAuto = await saveVersion(ada, project.id)
    let stored = await storedVersions(project.id)
    expect(stored).toHaveLength(10)
    expect(stored.map((v) => v.id)).not.toContain(oldAuto.id)
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'version' && c.op === 'delete')).toEqual([{ entity: 'version', entityId: oldAuto.id, op: 'delete', version: 2 }])

    // Automatic ones go before system ones.
    await saveVersion(ada, project.id, 'v8')
    stored = await storedVersions(project.id)
    expect(stored.map((v) => v.kind)).toEqual([...Array(8).fill('named'), 'system', 'named'])
    expect(stored.map((v) => v.id)).not.toContain(newAuto.id)
    await saveVersion(ada, project.id, 'v9')
    expect(await kinds()).toEqual(Array(10).fill('named'))

    const refused = expectError(await call(app(), ada, 'POST', versionsUrl(project.id), { label: 'one more' }), 402, 'PLAN_LIMIT_REACHED')
    expect(refused.details).toEqual({ limit: 'versionsPerProject', used: 10, allowed: 10, plan: 'free' })
    expectError(await call(app(), ada, 'POST', versionsUrl(project.id), {}), 402, 'PLAN_LIMIT_REACHED')
    // A restore needs room for its system version first: refused, nothing changes.
    await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'Changed', version: (await storedProject(app(), project.id))!.version })
    expectError(await call(app(), ada, 'POST', `${versionsUrl(project.id)}/${named[0]!.id}/restore`), 402, 'PLAN_LIMIT_REACHED')
    expect((await storedProject(app(), project.id))!.title).toBe('Changed')
    expect(await storedVersions(project.id)).toHaveLength(10)

    await setPlan(app(), ada, 'pro')
    expect((await saveVersion(ada, project.id, 'on pro')).kind).toBe('named')
    expect(await storedVersions(project.id)).toHaveLength(11)
  })

  it('stores one of two named versions saved at once at the limit', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    for (let i = 0; i < 9; i++) await saveVersion(ada, project.id, `v${i}`)
    const answers = await Promise.all([call(app(), ada, 'POST', versionsUrl(project.id), { label: 'a' }), call(app(), ada, 'POST', versionsUrl(project.id), { label: 'b' })])
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 402])
    expect(await storedVersions(project.id)).toHaveLength(10)
  })
})

describe('DELETE /api/projects/:id/versions/:versionId', () => {
  it('deletes a named version for the owner only; automatic ones are not deleted by hand', async () => {
    const [ada, ed] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    const named = await saveVersion(ada, project.id, 'keep?')
    const automatic = await saveVersion(ada, project.id)
    expectError(await call(app(), ed, 'DELETE', `${versionsUrl(project.id)}/${named.id}`), 403, 'COLORBOOK_OWNER_ONLY')
    const stranger = await loginAs(app())
    expectError(await call(app(), stranger, 'DELETE', `${versionsUrl(project.id)}/${named.id}`), 404, 'NOT_FOUND')
    expect(expectError(await call(app(), ada, 'DELETE', `${versionsUrl(project.id)}/${automatic.id}`), 409, 'COLORBOOK_VERSION_NOT_NAMED').details).toEqual({ kind: 'automatic' })
    expect((await call(app(), ada, 'DELETE', `${versionsUrl(project.id)}/${named.id}`)).statusCode).toBe(204)
    expectError(await call(app(), ada, 'DELETE', `${versionsUrl(project.id)}/${named.id}`), 404, 'NOT_FOUND')
    expect((await storedVersions(project.id)).map((v) => v.id)).toEqual([automatic.id])
    expect((await storedChanges(app(), project.id)).filter((c) => c.entity === 'version').map((c) => [c.entityId, c.op])).toEqual([
      [named.id, 'create'],
      [automatic.id, 'create'],
      [named.id, 'delete'],
    ])
  })
})

describe('POST /api/projects/:id/versions/:versionId/restore', () => {
  it('saves a system version, then puts the project and every child back at new versions, with the sync log and live events', async () => {
    const [ada, ed] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada, { title: 'Before' })
    await share(app(), project.id, ed, 'editor')
    const kept = await addChild(app(), ada, project.id, 'stories', { text: 'original' })
    const removed = await addChild(app(), ada, project.id, 'stories', { text: 'deleted later' })
    const drawing = await addChild(app(), ada, project.id, 'drawings', { strokes: [{ points: [[0, 0]], width: 1 }] })
    const file = (await uploadFile(app(), ada, { content: await image('png', 8, 8), filename: 'page.png' })).json<{ id: string }>()
    const picture = await addChild(app(), ada, project.id, 'images', { fileId: file.id, kind: 'uploaded', storyId: removed.id })
    const version = await saveVersion(ada, project.id, 'good')

    await call(app(), ada, 'PATCH', `/api/stories/${kept.id}`, { text: 'edited', version: 1 })
    await call(app(), ada, 'PATCH', `/api/stories/${kept.id}`, { text: 'edited again', version: 2 })
    expect((await call(app(), ada, 'DELETE', `/api/stories/${removed.id}`)).statusCode).toBe(204)
    const added = await addChild(app(), ada, project.id, 'stories', { text: 'added later' })
    await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'After', version: 1 })

    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, ed.headers)
    sockets.push(socket)
    await socket.ofType('ready')
    const room = `project:${project.id}`
    expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })
    const before = (await storedChanges(app(), project.id)).length

    const response = await call(app(), ed, 'POST', `${versionsUrl(project.id)}/${version.id}/restore`)
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(body.project).toMatchObject({ id: project.id, title: 'Before', version: 3, role: 'editor' })
    expect(response.headers.etag).toBe('"3"')
    expect(body.backup).toMatchObject({ kind: 'system', label: 'Before restoring “good”', projectVersion: 2, createdBy: ed.id })

    const stories = await storedStories(app(), project.id)
    expect(stories.map((s) => [s.id, s.text, s.version])).toEqual([
      [kept.id, 'original', 4],
      // Its tombstone was version 2: it comes back above it.
      [removed.id, 'deleted later', 3],
    ])
    expect((await storedDrawings(app(), project.id)).map((d) => [d.id, d.version])).toEqual([[drawing.id, 2]])
    // Its story was deleted (storyId set to null) and came back: the link is restored too.
    expect((await storedImages(app(), project.id)).map((i) => [i.id, i.storyId, i.fileId, i.version])).toEqual([[picture.id, removed.id, file.id, 2]])
    const backup = (await call(app(), ada, 'GET', `${versionsUrl(project.id)}/${body.backup.id}`)).json()
    expect(backup.snapshot.project.title).toBe('After')
    expect(backup.snapshot.stories.map((s: { text: string }) => s.text)).toEqual(['edited again', 'added later'])

    const logged = (await storedChanges(app(), project.id)).slice(before)
    expect(logged).toEqual(
      expect.arrayContaining([
        { entity: 'version', entityId: body.backup.id, op: 'create', version: 1 },
        { entity: 'project', entityId: project.id, op: 'update', version: 3 },
        { entity: 'story', entityId: added.id, op: 'delete', version: 2 },
        { entity: 'story', entityId: kept.id, op: 'update', version: 4 },
        { entity: 'story', entityId: removed.id, op: 'create', version: 3 },
        { entity: 'image', entityId: picture.id, op: 'update', version: 2 },
        { entity: 'drawing', entityId: drawing.id, op: 'update', version: 2 },
      ]),
    )
    expect(logged).toHaveLength(7)

    const events = await socket.events(room, 8)
    expect(events.map((e) => e.event)).toEqual(['version.created', 'project.updated', 'story.deleted', 'story.updated', 'story.created', 'image.updated', 'drawing.updated', 'project.restored'])
    expect(events[5]!.data).toMatchObject({ id: picture.id, storyId: removed.id, version: 2 })
    expect(events[7]!.data).toEqual({ id: project.id, versionId: version.id, backupVersionId: body.backup.id })
  })

  it('is one transaction: a restore that fails part-way changes nothing', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'Safe' })
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'fine' })
    const version = await saveVersion(ada, project.id, 'broken')
    // A snapshot the database refuses (a story longer than the table allows) fails after the project row is rewritten.
    await editSnapshot(app(), version.id, (snapshot) => {
      ;(snapshot as { stories: { text: string }[] }).stories[0]!.text = 'x'.repeat(50_001)
    })
    await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'Current', version: 1 })
    const changesBefore = await storedChanges(app(), project.id)

    const response = await call(app(), ada, 'POST', `${versionsUrl(project.id)}/${version.id}/restore`)
    expect(response.statusCode).toBe(500)
    expect(await storedProject(app(), project.id)).toMatchObject({ title: 'Current', version: 2 })
    expect((await storedStories(app(), project.id)).map((s) => [s.id, s.text, s.version])).toEqual([[story.id, 'fine', 1]])
    expect((await storedVersions(project.id)).map((v) => v.kind)).toEqual(['named'])
    expect(await storedChanges(app(), project.id)).toEqual(changesBefore)
  })
})

describe('colorbook.auto-versions', () => {
  it('takes an automatic version of each project changed since its newest version, once', async () => {
    const ada = await loginAs(app())
    const edited = await createProject(app(), ada)
    const untouched = await createProject(app(), ada)
    const trashed = await createProject(app(), ada)
    await addChild(app(), ada, edited.id, 'stories', { text: 'new' })
    await addChild(app(), ada, trashed.id, 'stories', { text: 'new' })
    await setProject(app(), trashed.id, { trashedAt: new Date() })
    const job = autoVersionsJob(api)
    expect(job.schedule?.cron).toBe('*/10 * * * *')
    const context = { id: 'j', name: job.name, attempt: 1, maxAttempts: 3, log: app().log, signal: new AbortController().signal } satisfies JobContext
    await job.handle({}, context)
    await job.handle({}, context)
    expect((await storedVersions(edited.id)).map((v) => [v.kind, v.createdBy])).toEqual([['automatic', null]])
    expect(await storedVersions(untouched.id)).toEqual([])
    expect(await storedVersions(trashed.id)).toEqual([])
  })
})
