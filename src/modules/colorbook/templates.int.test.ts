import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, projectsOwnedBy, setPlan, setProject, share, storedChanges, storedImages, storedStories } from '../../../test/helpers/colorbook.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import { ratingsBy, ratingsOf, storedCharacters, storedStyles, storedTemplate as templateRow, templatesOfProject, usageEventsAbout } from '../../../test/helpers/colorbook-templates.js'

const app = useTestApp()

async function myFile(user: TestUser): Promise<string> {
  const upload = await uploadFile(app(), user, { content: await image('png', 8, 8), filename: 'page.png' })
  expect(upload.statusCode, upload.body).toBe(201)
  return upload.json().id as string
}

interface Template {
  id: string
  version: number
  usageCount: number
  ratingAverage: number | null
  ratingCount: number
  [key: string]: unknown
}

async function publish(user: TestUser, projectId: string, body: Record<string, unknown> = {}): Promise<Template> {
  const response = await call(app(), user, 'POST', `/api/projects/${projectId}/publish`, body)
  expect(response.statusCode, response.body).toBe(201)
  return response.json<Template>()
}

/** A published template of a fresh project of `author`'s, in a category of its own (lists stay this test's). */
async function template(author: TestUser, body: Record<string, unknown> = {}): Promise<Template> {
  const project = await createProject(app(), author)
  return publish(author, project.id, { category: `c-${randomUUID().slice(0, 8)}`, ...body })
}

const storedTemplate = (id: string) => templateRow(app(), id)

describe('publishing', () => {
  it('snapshots the project and all its children (not a live link); a project made from it has copies with their links', async () => {
    const [ada, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    const cover = await myFile(ada)
    const project = await createProject(app(), ada, { title: 'Farm', tags: ['animals'], coverFileId: cover, pageFormat: { size: 'Letter', orientation: 'landscape' } })
    const story = await addChild(app(), ada, project.id, 'stories', { title: 'Cow', text: 'moo' })
    const style = (await call(app(), ada, 'POST', `/api/projects/${project.id}/style-presets`, { name: 'Bold', palette: ['#112233'] })).json<{ id: string }>()
    const cow = (await call(app(), ada, 'POST', `/api/projects/${project.id}/characters`, { name: 'Daisy', referenceFileIds: [cover] })).json<{ id: string }>()
    const file = await myFile(ada)
    await addChild(app(), ada, project.id, 'images', { fileId: file, storyId: story.id, styleId: style.id, characterIds: [cow.id] })
    await addChild(app(), ada, project.id, 'drawings', { strokes: [{ points: [[0, 0], [1, 1]], width: 2 }] })

    const published = await publish(ada, project.id, { description: 'A farm', category: ' Animals ', tags: ['farm', 'farm'] })
    expect(published).toMatchObject({
      authorId: ada.id,
      sourceProjectId: project.id,
      title: 'Farm',
      description: 'A farm',
      category: 'animals',
      tags: ['farm'],
      premium: false,
      public: true,
      hidden: false,
      usageCount: 0,
      ratingAverage: null,
      ratingCount: 0,
      pageFormat: { size: 'Letter', orientation: 'landscape' },
      coverFileId: cover,
      counts: { stories: 1, images: 1, drawings: 1, characters: 1, stylePresets: 1 },
      previewFileIds: [file],
      version: 1,
    })
    // Later changes to the project do not reach the template.
    await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'changed', version: 1 })

    const used = await call(app(), bob, 'POST', `/api/templates/${published.id}/use`)
    expect(used.statusCode, used.body).toBe(201)
    const copy = used.json<{ id: string }>()
    expect(copy).toMatchObject({ ownerId: bob.id, title: 'Farm', templateId: published.id, tags: ['animals'], coverFileId: cover, role: 'owner', version: 1 })
    const [newStory] = await storedStories(app(), copy.id)
    expect(newStory).toMatchObject({ title: 'Cow', text: 'moo' })
    expect(newStory!.id).not.toBe(story.id)
    const [newStyle] = await storedStyles(app(), copy.id)
    const [newCow] = await storedCharacters(app(), copy.id)
    expect(newCow).toMatchObject({ name: 'Daisy', referenceFileIds: [cover] })
    expect(await storedImages(app(), copy.id)).toEqual([expect.objectContaining({ fileId: file, storyId: newStory!.id, styleId: newStyle!.id, characterIds: [newCow!.id], version: 1 })])
    expect((await storedChanges(app(), copy.id)).map((c) => [c.entity, c.op, c.version])).toEqual([
      ['project', 'create', 1],
      ['story', 'create', 1],
      ['image', 'create', 1],
      ['drawing', 'create', 1],
      ['character', 'create', 1],
      ['style', 'create', 1],
    ])
    expect((await storedTemplate(published.id))!.usageCount).toBe(1)
    expect(await usageEventsAbout(app(), published.id)).toEqual([
      { type: 'template.published', userId: ada.id, metadata: {} },
      { type: 'template.used', userId: bob.id, metadata: { projectId: copy.id } },
    ])
    expect((await call(app(), bob, 'GET', `/api/projects?templateId=${published.id}`)).json().items.map((p: { id: string }) => p.id)).toEqual([copy.id])
    // Bob reads the files his new project uses (the foundation's rule), and the template's before using it.
    expect((await call(app(), bob, 'GET', `/api/files/${file}`)).statusCode).toBe(200)
  })

  it('is the owner’s alone: an editor 403, a stranger 404, a trashed project 409, unknown fields 400; nothing stored', async () => {
    const [ada, ed, stranger] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, ed, 'editor')
    expectError(await call(app(), ed, 'POST', `/api/projects/${project.id}/publish`, {}), 403, 'COLORBOOK_OWNER_ONLY')
    expectError(await call(app(), stranger, 'POST', `/api/projects/${project.id}/publish`, {}), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/publish`, { price: 3 }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/publish`, { title: '  ' }), 400, 'VALIDATION_FAILED')
    await setProject(app(), project.id, { trashedAt: new Date() })
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/publish`, {}), 409, 'COLORBOOK_PROJECT_TRASHED')
    expect(await templatesOfProject(app(), project.id)).toEqual([])
  })

  it('lets whoever sees the template read the files its snapshot uses, and nobody else', async () => {
    const [ada, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    const cover = await myFile(ada)
    const secret = await myFile(ada)
    const project = await createProject(app(), ada, { coverFileId: cover })
    const other = await createProject(app(), ada, { coverFileId: secret })
    expectError(await call(app(), bob, 'GET', `/api/files/${cover}`), 404, 'NOT_FOUND')
    await publish(ada, project.id)
    await publish(ada, other.id, { public: false })
    expect((await call(app(), bob, 'GET', `/api/files/${cover}`)).statusCode).toBe(200)
    expectError(await call(app(), bob, 'GET', `/api/files/${secret}`), 404, 'NOT_FOUND')
  })
})

describe('the marketplace', () => {
  it('lists public, not hidden templates with filters, and your own with mine=true; needs a sign-in', async () => {
    const [ada, bob, admin] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app(), 'admin')])
    const category = `c-${randomUUID().slice(0, 8)}`
    const word = randomUUID().slice(0, 8)
    const a = await template(ada, { category, tags: ['x'], title: `Dinosaurs ${word}` })
    const b = await template(ada, { category, premium: true, description: `All about ${word.toUpperCase()}` })
    const hidden = await template(ada, { category })
    const privateOne = await template(ada, { category, public: false })
    const put = await call(app(), admin, 'PUT', `/api/templates/${hidden.id}`, { title: 'Hidden', category, hidden: true, version: 1 })
    expect(put.statusCode, put.body).toBe(200)

    const ids = async (query: string, user = bob) => {
      const response = await call(app(), user, 'GET', `/api/templates?${query}`)
      expect(response.statusCode, response.body).toBe(200)
      return response.json<{ items: { id: string }[] }>().items.map((t) => t.id)
    }
    expect(await ids(`category=${category.toUpperCase()}`)).toEqual([b.id, a.id])
    expect(await ids(`category=${category}&tag=x`)).toEqual([a.id])
    expect(await ids(`category=${category}&premium=true`)).toEqual([b.id])
    expect(await ids(`category=${category}&premium=false`)).toEqual([a.id])
    expect(await ids(`q=${word}`)).toEqual([b.id, a.id])
    expect(await ids(`category=${category}&mine=true`, ada)).toEqual([privateOne.id, hidden.id, b.id, a.id])
    expect(await ids(`category=${category}&mine=true`, bob)).toEqual([])
    expectError(await call(app(), undefined, 'GET', '/api/templates'), 401, 'UNAUTHENTICATED')
    expectError(await call(app(), bob, 'GET', '/api/templates?sort=price'), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), bob, 'GET', '/api/templates?cursor=nonsense'), 400, 'INVALID_CURSOR')

    // Private and hidden ones are 404 to everyone but their author and moderators.
    for (const t of [hidden, privateOne]) {
      expectError(await call(app(), bob, 'GET', `/api/templates/${t.id}`), 404, 'NOT_FOUND')
      expectError(await call(app(), bob, 'POST', `/api/templates/${t.id}/use`), 404, 'NOT_FOUND')
      expectError(await call(app(), bob, 'PUT', `/api/templates/${t.id}/rating`, { rating: 3 }), 404, 'NOT_FOUND')
      expect((await call(app(), ada, 'GET', `/api/templates/${t.id}`)).statusCode).toBe(200)
      expect((await call(app(), admin, 'GET', `/api/templates/${t.id}`)).statusCode).toBe(200)
    }
    expect((await call(app(), ada, 'GET', `/api/templates/${hidden.id}`)).json()).toMatchObject({ hidden: true })
    expectError(await call(app(), bob, 'GET', `/api/templates/${randomUUID()}`), 404, 'NOT_FOUND')
  })

  it('sorts by newest, rating and usage, highest first, a page at a time', async () => {
    const [ada, bob, cy] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const category = `c-${randomUUID().slice(0, 8)}`
    const one = await template(ada, { category })
    const two = await template(ada, { category })
    const three = await template(ada, { category })
    await call(app(), bob, 'PUT', `/api/templates/${one.id}/rating`, { rating: 5 })
    await call(app(), bob, 'PUT', `/api/templates/${two.id}/rating`, { rating: 3 })
    await call(app(), cy, 'PUT', `/api/templates/${two.id}/rating`, { rating: 4 })
    for (const user of [bob, cy]) expect((await call(app(), user, 'POST', `/api/templates/${two.id}/use`)).statusCode).toBe(201)
    expect((await call(app(), bob, 'POST', `/api/templates/${three.id}/use`)).statusCode).toBe(201)

    const walk = async (sort: string) => {
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const response = await call(app(), bob, 'GET', `/api/templates?category=${category}&sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        expect(response.statusCode, response.body).toBe(200)
        const page = response.json<{ items: { id: string }[]; nextCursor: string | null }>()
        seen.push(...page.items.map((t) => t.id))
        cursor = page.nextCursor
      } while (cursor)
      return seen
    }
    expect(await walk('newest')).toEqual([three.id, two.id, one.id])
    expect(await walk('rating')).toEqual([one.id, two.id, three.id])
    expect(await walk('usage')).toEqual([two.id, three.id, one.id])
    const newest = (await call(app(), bob, 'GET', `/api/templates?category=${category}&limit=1`)).json()
    expectError(await call(app(), bob, 'GET', `/api/templates?category=${category}&sort=usage&cursor=${newest.nextCursor}`), 400, 'INVALID_CURSOR')
  })
})

describe('changing and deleting', () => {
  it('lets the author replace the listing at its version (409/412 stale); others 403; hidden is for moderators', async () => {
    const [ada, bob, admin] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app(), 'admin')])
    const t = await template(ada, { description: 'old', tags: ['a'], premium: true })
    const put = await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'New', version: 1 })
    expect(put.statusCode, put.body).toBe(200)
    expect(put.headers.etag).toBe('"2"')
    expect(put.json()).toMatchObject({ title: 'New', description: null, category: null, tags: [], premium: false, public: true, version: 2, counts: t.counts })
    expect(expectError(await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'Lost', version: 1 }), 409, 'VERSION_CONFLICT').details.current).toMatchObject({ title: 'New', version: 2 })
    expectError(await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'Lost' }, { 'if-match': '"1"' }), 412, 'PRECONDITION_FAILED')
    expectError(await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'Lost' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), bob, 'PUT', `/api/templates/${t.id}`, { title: 'Mine', version: 2 }), 403, 'COLORBOOK_TEMPLATE_AUTHOR_ONLY')
    expectError(await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'New', hidden: true, version: 2 }), 403, 'COLORBOOK_TEMPLATE_MODERATOR_ONLY')
    expectError(await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'New', usageCount: 9, version: 2 }), 400, 'VALIDATION_FAILED')
    const hidden = await call(app(), admin, 'PUT', `/api/templates/${t.id}`, { title: 'Moderated', hidden: true }, { 'if-match': '"2"' })
    expect(hidden.json()).toMatchObject({ title: 'Moderated', hidden: true, version: 3 })
    // The author may still edit it; `hidden` omitted stays.
    expect((await call(app(), ada, 'PUT', `/api/templates/${t.id}`, { title: 'Again', version: 3 })).json()).toMatchObject({ hidden: true, version: 4 })
    expect((await storedTemplate(t.id))!).toMatchObject({ title: 'Again', version: 4, hiddenAt: expect.any(Date) })
    expect((await call(app(), admin, 'PUT', `/api/templates/${t.id}`, { title: 'Again', hidden: false, version: 4 })).json()).toMatchObject({ hidden: false })
  })

  it('deletes by the author or a moderator (others 403); projects made from it keep their content', async () => {
    const [ada, bob, admin] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app(), 'admin')])
    const project = await createProject(app(), ada)
    await addChild(app(), ada, project.id, 'stories', { text: 'kept' })
    const t = await publish(ada, project.id)
    const copy = (await call(app(), bob, 'POST', `/api/templates/${t.id}/use`)).json<{ id: string }>()
    expectError(await call(app(), bob, 'DELETE', `/api/templates/${t.id}`), 403, 'COLORBOOK_TEMPLATE_AUTHOR_ONLY')
    expect(await storedTemplate(t.id)).toBeDefined()
    expect((await call(app(), admin, 'DELETE', `/api/templates/${t.id}`)).statusCode).toBe(204)
    expect(await storedTemplate(t.id)).toBeUndefined()
    expectError(await call(app(), ada, 'DELETE', `/api/templates/${t.id}`), 404, 'NOT_FOUND')
    expect((await call(app(), bob, 'GET', `/api/projects/${copy.id}?include=stories`)).json()).toMatchObject({ templateId: null, stories: [expect.objectContaining({ text: 'kept' })] })
    const mine = await template(ada)
    expect((await call(app(), ada, 'DELETE', `/api/templates/${mine.id}`)).statusCode).toBe(204)
  })
})

describe('using', () => {
  it('needs a plan with premium templates for a premium one (402, nothing stored); its author is exempt', async () => {
    const [ada, free, pro] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    await setPlan(app(), pro, 'pro')
    const t = await template(ada, { premium: true })
    const refused = expectError(await call(app(), free, 'POST', `/api/templates/${t.id}/use`), 402, 'PLAN_LIMIT_REACHED')
    expect(refused.details).toEqual({ limit: 'premiumTemplates', plan: 'free' })
    expect(await projectsOwnedBy(app(), free.id)).toEqual([])
    expect((await storedTemplate(t.id))!.usageCount).toBe(0)
    expect((await usageEventsAbout(app(), t.id)).map((e) => e.type)).toEqual(['template.published'])
    expect((await call(app(), pro, 'POST', `/api/templates/${t.id}/use`)).statusCode).toBe(201)
    expect((await call(app(), ada, 'POST', `/api/templates/${t.id}/use`)).statusCode).toBe(201)
    expect((await storedTemplate(t.id))!.usageCount).toBe(2)
  })

  it('counts against the plan’s projects limit (402, nothing stored)', async () => {
    const [ada, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    const t = await template(ada)
    for (let i = 0; i < 10; i++) await createProject(app(), bob)
    const refused = expectError(await call(app(), bob, 'POST', `/api/templates/${t.id}/use`), 402, 'PLAN_LIMIT_REACHED')
    expect(refused.details).toMatchObject({ limit: 'projects', used: 10, allowed: 10, plan: 'free' })
    expect(await projectsOwnedBy(app(), bob.id)).toHaveLength(10)
    expect((await storedTemplate(t.id))!.usageCount).toBe(0)
  })

  it('counts two uses at once both', async () => {
    const [ada, bob, cy] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const t = await template(ada)
    const answers = await Promise.all([bob, cy].map((user) => call(app(), user, 'POST', `/api/templates/${t.id}/use`)))
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201])
    expect((await storedTemplate(t.id))!.usageCount).toBe(2)
    expect((await call(app(), bob, 'GET', `/api/templates/${t.id}`)).json()).toMatchObject({ usageCount: 2 })
  })
})

describe('ratings', () => {
  it('keeps one per user (again replaces it), the average and count; not your own; taken back with DELETE', async () => {
    const [ada, bob, cy] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app())])
    const t = await template(ada)
    const rate = (user: TestUser, rating: unknown) => call(app(), user, 'PUT', `/api/templates/${t.id}/rating`, { rating })
    expect((await rate(bob, 4)).json()).toEqual({ templateId: t.id, rating: 4, ratingAverage: 4, ratingCount: 1 })
    expect((await rate(bob, 2)).json()).toEqual({ templateId: t.id, rating: 2, ratingAverage: 2, ratingCount: 1 })
    expect((await rate(cy, 5)).json()).toEqual({ templateId: t.id, rating: 5, ratingAverage: 3.5, ratingCount: 2 })
    expectError(await rate(ada, 5), 403, 'COLORBOOK_TEMPLATE_OWN_RATING')
    for (const bad of [0, 6, 2.5, '4']) expectError(await rate(bob, bad), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), bob, 'PUT', `/api/templates/${t.id}/rating`, { rating: 3, note: 'x' }), 400, 'VALIDATION_FAILED')
    expect((await call(app(), bob, 'GET', `/api/templates/${t.id}`)).json()).toMatchObject({ ratingAverage: 3.5, ratingCount: 2 })

    expect((await call(app(), bob, 'DELETE', `/api/templates/${t.id}/rating`)).statusCode).toBe(204)
    expect((await call(app(), bob, 'DELETE', `/api/templates/${t.id}/rating`)).statusCode).toBe(204)
    expect(await storedTemplate(t.id)).toMatchObject({ ratingSum: 5, ratingCount: 1 })
    expect(await ratingsOf(app(), t.id)).toEqual([expect.objectContaining({ userId: cy.id, rating: 5 })])
    expectError(await call(app(), bob, 'DELETE', `/api/templates/${randomUUID()}/rating`), 404, 'NOT_FOUND')
  })

  it('stays exact under ratings at once: different users each count, one user twice counts once', async () => {
    const author = await loginAs(app())
    const raters = await Promise.all(Array.from({ length: 6 }, () => loginAs(app())))
    const t = await template(author)
    const values = [5, 4, 3, 2, 1, 5]
    const answers = await Promise.all(raters.map((user, i) => call(app(), user, 'PUT', `/api/templates/${t.id}/rating`, { rating: values[i] })))
    expect(answers.map((a) => a.statusCode)).toEqual(values.map(() => 200))
    expect(await storedTemplate(t.id)).toMatchObject({ ratingSum: 20, ratingCount: 6 })
    const twice = await Promise.all([3, 1].map((rating) => call(app(), raters[0], 'PUT', `/api/templates/${t.id}/rating`, { rating })))
    expect(twice.map((a) => a.statusCode)).toEqual([200, 200])
    const last = (await ratingsBy(app(), raters[0]!.id))[0]!.rating
    expect(await storedTemplate(t.id)).toMatchObject({ ratingSum: 15 + last, ratingCount: 6 })
    expect((await call(app(), author, 'GET', `/api/templates/${t.id}`)).json()).toMatchObject({ ratingCount: 6, ratingAverage: Math.round(((15 + last) / 6) * 100) / 100 })
  })
})
