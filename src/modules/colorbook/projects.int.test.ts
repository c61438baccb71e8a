import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, projectsOwnedBy, setPlan, setProject, share, storedChanges, storedProject, storedStories } from '../../../test/helpers/colorbook.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

describe('POST /api/projects', () => {
  it('creates a project owned by the caller at version 1, with an ETag and a create in the sync log', async () => {
    const ada = await loginAs(app())
    const response = await call(app(), ada, 'POST', '/api/projects', { title: '  Dragons  ', description: 'For Tom', tags: ['kids', 'kids', ' fantasy '], pageFormat: { size: 'Letter', orientation: 'landscape' }, settings: { grid: true } })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.headers.etag).toBe('"1"')
    const project = response.json()
    expect(project).toEqual({
      id: expect.any(String),
      ownerId: ada.id,
      title: 'Dragons',
      description: 'For Tom',
      tags: ['kids', 'fantasy'],
      pageFormat: { size: 'Letter', orientation: 'landscape' },
      settings: { grid: true },
      coverFileId: null,
      duplicatedFromId: null,
      templateId: null,
      trashedAt: null,
      version: 1,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      role: 'owner',
    })
    expect(await storedProject(app(), project.id)).toMatchObject({ ownerId: ada.id, pageSize: 'Letter', pageOrientation: 'landscape' })
    expect(await storedChanges(app(), project.id)).toEqual([{ entity: 'project', entityId: project.id, op: 'create', version: 1 }])
  })

  it('refuses bad input (400) and a cover that is not one of the caller’s files (422), storing nothing', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    expectError(await call(app(), ada, 'POST', '/api/projects', { title: 'x', color: 'red' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', '/api/projects', { title: 'x', tags: 'kids' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', '/api/projects', { title: '   ' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', '/api/projects', { title: 'x', pageFormat: { size: 'B5', orientation: 'portrait' } }), 400, 'VALIDATION_FAILED')
    const upload = await uploadFile(app(), bob, { content: await image('png', 8, 8), filename: 'b.png' })
    expect(upload.statusCode, upload.body).toBe(201)
    expect(expectError(await call(app(), ada, 'POST', '/api/projects', { title: 'x', coverFileId: upload.json().id }), 422, 'COLORBOOK_FILE_INVALID').details).toEqual({ coverFileId: upload.json().id })
    expect(await projectsOwnedBy(app(), ada.id)).toEqual([])
    expectError(await call(app(), undefined, 'POST', '/api/projects', { title: 'x' }), 401, 'UNAUTHENTICATED')
  })
})

describe('GET /api/projects and /api/projects/:id', () => {
  it('lists the caller’s own and shared projects with their role, never another user’s', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    const mine = await createProject(app(), ada, { title: 'Mine' })
    const bobs = await createProject(app(), bob, { title: 'Bob’s shared' })
    await createProject(app(), bob, { title: 'Bob’s private' })
    await share(app(), bobs.id, ada, 'viewer')
    const list = (await call(app(), ada, 'GET', '/api/projects')).json()
    expect(list.items.map((p: { title: string; role: string }) => [p.title, p.role])).toEqual([
      ['Bob’s shared', 'viewer'],
      ['Mine', 'owner'],
    ])
    expect(list.nextCursor).toBeNull()
    expect((await call(app(), ada, 'GET', `/api/projects/${mine.id}`)).json()).toMatchObject({ id: mine.id, role: 'owner' })
    expectError(await call(app(), bob, 'GET', `/api/projects/${mine.id}`), 404, 'NOT_FOUND')
  })

  it('filters by q, tag, templateId, updatedAfter and trashed; sorts by title with a keyset cursor', async () => {
    const ada = await loginAs(app())
    const a = await createProject(app(), ada, { title: 'Alpha forest', tags: ['trees'] })
    const b = await createProject(app(), ada, { title: 'beta sea', description: 'Whales and FOREST kelp' })
    const c = await createProject(app(), ada, { title: 'Gamma', tags: ['trees', 'x'] })
    const titles = async (query: string): Promise<string[]> => (await call(app(), ada, 'GET', `/api/projects?${query}`)).json<{ items: { title: string }[] }>().items.map((p) => p.title)
    expect(await titles('q=forest&sort=title')).toEqual(['Alpha forest', 'beta sea'])
    expect(await titles('tag=trees&sort=title')).toEqual(['Alpha forest', 'Gamma'])
    expect(await titles(`templateId=${a.id}`)).toEqual([])
    await setProject(app(), a.id, { updatedAt: new Date('2020-01-01T00:00:00.000Z') })
    expect(await titles('updatedAfter=2021-01-01T00:00:00.000Z&sort=title')).toEqual(['beta sea', 'Gamma'])
    expect((await call(app(), ada, 'DELETE', `/api/projects/${c.id}`)).statusCode).toBe(204)
    expect(await titles('sort=title')).toEqual(['Alpha forest', 'beta sea'])
    expect(await titles('trashed=true')).toEqual(['Gamma'])

    const first = (await call(app(), ada, 'GET', '/api/projects?sort=-createdAt&limit=1')).json()
    expect(first.items.map((p: { id: string }) => p.id)).toEqual([b.id])
    const second = (await call(app(), ada, 'GET', `/api/projects?sort=-createdAt&limit=1&cursor=${first.nextCursor}`)).json()
    expect(second).toMatchObject({ items: [{ id: a.id }], nextCursor: null })
    const byTitle = (await call(app(), ada, 'GET', '/api/projects?sort=title&limit=1')).json()
    expect(byTitle.items.map((p: { id: string }) => p.id)).toEqual([a.id])
    expect((await call(app(), ada, 'GET', `/api/projects?sort=title&limit=1&cursor=${byTitle.nextCursor}`)).json().items.map((p: { id: string }) => p.id)).toEqual([b.id])
    expectError(await call(app(), ada, 'GET', `/api/projects?sort=title&cursor=${first.nextCursor}`), 400, 'INVALID_CURSOR')
    expectError(await call(app(), ada, 'GET', '/api/projects?sort=color'), 400, 'VALIDATION_FAILED')
  })

  it('answers the whole document with ?include, and refuses an unknown include', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { title: 'Once', text: 'upon a time' })
    await addChild(app(), ada, project.id, 'drawings', { strokes: [{ points: [[0, 0], [1, 2]], width: 2 }] })
    const whole = (await call(app(), ada, 'GET', `/api/projects/${project.id}?include=stories,drawings`)).json()
    expect(whole.stories).toEqual([expect.objectContaining({ id: story.id, text: 'upon a time' })])
    expect(whole.drawings).toEqual([expect.objectContaining({ strokes: [{ points: [[0, 0], [1, 2]], width: 2 }] })])
    expect(whole).not.toHaveProperty('images')
    expect((await call(app(), ada, 'GET', `/api/projects/${project.id}`)).json()).not.toHaveProperty('stories')
    expectError(await call(app(), ada, 'GET', `/api/projects/${project.id}?include=pages`), 400, 'VALIDATION_FAILED')
  })
})

describe('PUT and PATCH /api/projects/:id', () => {
  it('changes at the current version, from `version` or If-Match; a stale one is 409 or 412 with the current record', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'v1', tags: ['a'] })
    const patched = await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'v2', version: 1 })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({ title: 'v2', tags: ['a'], version: 2 })
    expect(patched.headers.etag).toBe('"2"')

    const stale = expectError(await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'lost', version: 1 }), 409, 'VERSION_CONFLICT')
    expect(stale.details.current).toMatchObject({ id: project.id, title: 'v2', version: 2 })
    const staleIfMatch = expectError(await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'lost' }, { 'if-match': '"1"' }), 412, 'PRECONDITION_FAILED')
    expect(staleIfMatch.details.current).toMatchObject({ version: 2 })
    expectError(await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'blind' }), 400, 'VALIDATION_FAILED')
    expect(await storedProject(app(), project.id)).toMatchObject({ title: 'v2', version: 2 })

    // PUT replaces: what it omits goes back to its default.
    const put = await call(app(), ada, 'PUT', `/api/projects/${project.id}`, { title: 'v3' }, { 'if-match': '"2"' })
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json()).toMatchObject({ title: 'v3', tags: [], pageFormat: { size: 'A4', orientation: 'portrait' }, version: 3 })
    expect((await storedChanges(app(), project.id)).map((c) => [c.op, c.version])).toEqual([
      ['create', 1],
      ['update', 2],
      ['update', 3],
    ])
  })

  it('lets an editor change it, refuses a viewer (403) and hides it from others (404)', async () => {
    const [ada, ed, vi, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    await share(app(), project.id, vi, 'viewer')
    const edited = await call(app(), ed, 'PATCH', `/api/projects/${project.id}`, { title: 'By the editor', version: 1 })
    expect(edited.json()).toMatchObject({ title: 'By the editor', role: 'editor', version: 2 })
    expectError(await call(app(), vi, 'PATCH', `/api/projects/${project.id}`, { title: 'no', version: 2 }), 403, 'COLORBOOK_READ_ONLY')
    expectError(await call(app(), stranger, 'PATCH', `/api/projects/${project.id}`, { title: 'no', version: 2 }), 404, 'NOT_FOUND')
    expect(await storedProject(app(), project.id)).toMatchObject({ title: 'By the editor', version: 2 })
  })
})

describe('DELETE, restore and duplicate', () => {
  it('trashes (owner only), hides a trashed project from collaborators, restores, and purges with a tombstone', async () => {
    const [ada, ed] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    await addChild(app(), ada, project.id, 'stories', { text: 'kept' })
    expectError(await call(app(), ed, 'DELETE', `/api/projects/${project.id}`), 403, 'COLORBOOK_OWNER_ONLY')
    expect((await call(app(), ada, 'DELETE', `/api/projects/${project.id}`)).statusCode).toBe(204)
    expect((await call(app(), ada, 'DELETE', `/api/projects/${project.id}`)).statusCode).toBe(204)
    expect((await call(app(), ada, 'GET', `/api/projects/${project.id}`)).json()).toMatchObject({ trashedAt: expect.stringMatching(/Z$/), version: 2 })
    expectError(await call(app(), ed, 'GET', `/api/projects/${project.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'PATCH', `/api/projects/${project.id}`, { title: 'x', version: 2 }), 409, 'COLORBOOK_PROJECT_TRASHED')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/stories`, { text: 'x' }), 409, 'COLORBOOK_PROJECT_TRASHED')

    const restored = await call(app(), ada, 'POST', `/api/projects/${project.id}/restore`)
    expect(restored.json()).toMatchObject({ trashedAt: null, version: 3 })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/restore`), 409, 'COLORBOOK_PROJECT_NOT_TRASHED')
    expect((await call(app(), ed, 'GET', `/api/projects/${project.id}`)).statusCode).toBe(200)

    expect((await call(app(), ada, 'DELETE', `/api/projects/${project.id}?permanent=true`)).statusCode).toBe(204)
    expect(await storedProject(app(), project.id)).toBeUndefined()
    expect(await storedStories(app(), project.id)).toEqual([])
    expect((await storedChanges(app(), project.id)).at(-1)).toEqual({ entity: 'project', entityId: project.id, op: 'delete', version: 4 })
    expectError(await call(app(), ada, 'GET', `/api/projects/${project.id}`), 404, 'NOT_FOUND')
  })

  it('duplicates a project with all its children for the caller, files shared, story links remapped', async () => {
    const [ada, vi] = await Promise.all([loginAs(app()), loginAs(app())])
    const upload = await uploadFile(app(), ada, { content: await image('png', 8, 8), filename: 'p.png' })
    const fileId = upload.json().id as string
    const project = await createProject(app(), ada, { title: 'Original', coverFileId: fileId, tags: ['t'] })
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'one' })
    await addChild(app(), ada, project.id, 'images', { fileId, storyId: story.id, kind: 'generated', prompt: 'a cat' })
    await addChild(app(), ada, project.id, 'drawings', { strokes: [{ points: [[1, 1]], width: 1, color: '#000' }] })
    await share(app(), project.id, vi, 'viewer')

    const response = await call(app(), vi, 'POST', `/api/projects/${project.id}/duplicate`)
    expect(response.statusCode, response.body).toBe(201)
    const copy = response.json()
    expect(copy).toMatchObject({ ownerId: vi.id, title: 'Original (copy)', coverFileId: fileId, tags: ['t'], duplicatedFromId: project.id, version: 1, role: 'owner' })
    const whole = (await call(app(), vi, 'GET', `/api/projects/${copy.id}?include=stories,images,drawings`)).json()
    expect(whole.stories).toEqual([expect.objectContaining({ text: 'one', version: 1 })])
    expect(whole.stories[0].id).not.toBe(story.id)
    expect(whole.images).toEqual([expect.objectContaining({ fileId, storyId: whole.stories[0].id, prompt: 'a cat' })])
    expect(whole.drawings).toEqual([expect.objectContaining({ strokes: [{ points: [[1, 1]], width: 1, color: '#000' }] })])
    expect((await storedChanges(app(), copy.id)).map((c) => `${c.entity}.${c.op}`)).toEqual(['project.create', 'story.create', 'image.create', 'drawing.create'])
    // The copy's owner reads the shared file through the copy.
    expect((await call(app(), vi, 'GET', `/api/files/${fileId}`)).statusCode).toBe(200)
    expect((await call(app(), ada, 'GET', `/api/projects/${project.id}?include=stories`)).json().stories).toHaveLength(1)
  })
})

describe('the plan’s projects limit', () => {
  it('refuses the free plan’s 11th project with 402 PLAN_LIMIT_REACHED and stores nothing; trashed ones do not count, restoring them does', async () => {
    const ada = await loginAs(app())
    const made = []
    for (let i = 0; i < 10; i++) made.push(await createProject(app(), ada))
    const refused = expectError(await call(app(), ada, 'POST', '/api/projects', { title: 'eleven' }), 402, 'PLAN_LIMIT_REACHED')
    expect(refused.details).toEqual({ limit: 'projects', used: 10, allowed: 10, plan: 'free' })
    expectError(await call(app(), ada, 'POST', `/api/projects/${made[0]!.id}/duplicate`), 402, 'PLAN_LIMIT_REACHED')
    expect(await projectsOwnedBy(app(), ada.id)).toHaveLength(10)

    expect((await call(app(), ada, 'DELETE', `/api/projects/${made[0]!.id}`)).statusCode).toBe(204)
    await createProject(app(), ada)
    expectError(await call(app(), ada, 'POST', `/api/projects/${made[0]!.id}/restore`), 402, 'PLAN_LIMIT_REACHED')

    await setPlan(app(), ada, 'pro')
    expect((await call(app(), ada, 'POST', `/api/projects/${made[0]!.id}/restore`)).statusCode).toBe(200)
    await createProject(app(), ada)
    // A subscription that no longer gives its plan is the free plan again.
    await setPlan(app(), ada, 'pro', 'canceled')
    expectError(await call(app(), ada, 'POST', '/api/projects', { title: 'x' }), 402, 'PLAN_LIMIT_REACHED')
  })

  it('stores one of two parallel creates at the limit', async () => {
    const ada = await loginAs(app())
    for (let i = 0; i < 9; i++) await createProject(app(), ada)
    const answers = await Promise.all([1, 2, 3].map((n) => call(app(), ada, 'POST', '/api/projects', { title: `race ${n}` })))
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 402, 402])
    expect(await projectsOwnedBy(app(), ada.id)).toHaveLength(10)
  })
})
