import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { headerActor, notesModule } from '../../../../test/fixtures/notes/index.js'
import { createNotesTable, notes } from '../../../../test/fixtures/notes/schema.js'
import { actor, type TestActor } from '../../../../test/helpers/actors.js'
import { useTestApp } from '../../../../test/helpers/app.js'

const app = useTestApp({
  modules: [notesModule],
  authenticate: headerActor,
  setup: (instance) => instance.platform.database.db.execute(createNotesTable).then(() => undefined),
})

async function createNote(as: TestActor, body: Record<string, unknown>) {
  const response = await app().inject({ method: 'POST', url: '/api/notes', headers: as.headers, payload: body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; version: number; title: string; ownerId: string; status: string; priority: number }>()
}

const stored = (id: string) => app().platform.database.db.select().from(notes).where(eq(notes.id, id))

describe('resource toolkit: create', () => {
  it('creates a record owned by the caller, with version 1 and an ETag', async () => {
    const user = actor()
    const response = await app().inject({ method: 'POST', url: '/api/notes', headers: user.headers, payload: { title: 'First', priority: 2 } })
    expect(response.statusCode).toBe(201)
    expect(response.headers.etag).toBe('"1"')
    const note = response.json()
    expect(note).toMatchObject({ title: 'First', body: '', status: 'draft', priority: 2, version: 1, ownerId: user.id })
    expect(note.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(await stored(note.id)).toHaveLength(1)
  })

  it('refuses invalid bodies with per-field details and stores nothing', async () => {
    const user = actor()
    const response = await app().inject({ method: 'POST', url: '/api/notes', headers: user.headers, payload: { priority: 9, colour: 'red' } })
    expect(response.statusCode).toBe(400)
    const { error } = response.json()
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.details).toMatchObject({ title: 'is required', colour: 'is not allowed', priority: expect.stringContaining('<= 5') })
    const list = await app().inject({ url: '/api/notes', headers: user.headers })
    expect(list.json().items).toEqual([])
  })

  it('requires an actor (401), the write permission (403) and ownership rules (403)', async () => {
    const anonymous = await app().inject({ method: 'POST', url: '/api/notes', payload: { title: 'x' } })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED')

    const worker = actor('worker')
    const denied = await app().inject({ method: 'POST', url: '/api/notes', headers: worker.headers, payload: { title: 'x' } })
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error.code).toBe('FORBIDDEN')

    const user = actor()
    const forOther = await app().inject({ method: 'POST', url: '/api/notes', headers: user.headers, payload: { title: 'x', ownerId: actor().id } })
    expect(forOther.statusCode).toBe(403)
    const mine = await app().inject({ url: '/api/notes', headers: user.headers })
    expect(mine.json().items).toEqual([])
  })

  it('lets an admin create on behalf of another user', async () => {
    const owner = actor()
    const note = await createNote(actor('admin'), { title: 'For you', ownerId: owner.id })
    expect(note.ownerId).toBe(owner.id)
    const seen = await app().inject({ url: `/api/notes/${note.id}`, headers: owner.headers })
    expect(seen.statusCode).toBe(200)
  })
})

describe('resource toolkit: get and access scope', () => {
  it('returns own records, hides others (404) and lets admins read all', async () => {
    const owner = actor()
    const note = await createNote(owner, { title: 'Private' })
    const own = await app().inject({ url: `/api/notes/${note.id}`, headers: owner.headers })
    expect(own.statusCode).toBe(200)
    expect(own.headers.etag).toBe('"1"')

    const stranger = await app().inject({ url: `/api/notes/${note.id}`, headers: actor().headers })
    expect(stranger.statusCode).toBe(404)
    expect(stranger.json().error.code).toBe('NOT_FOUND')

    const admin = await app().inject({ url: `/api/notes/${note.id}`, headers: actor('admin').headers })
    expect(admin.statusCode).toBe(200)
  })

  it('validates the id', async () => {
    const response = await app().inject({ url: '/api/notes/not-a-uuid', headers: actor().headers })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.details).toHaveProperty(['params.id'])
  })
})

describe('resource toolkit: lists', () => {
  it('scopes lists in SQL: a user sees only their own records', async () => {
    const [alice, bob] = [actor(), actor()]
    await createNote(alice, { title: 'a1' })
    await createNote(bob, { title: 'b1' })
    const response = await app().inject({ url: '/api/notes', headers: alice.headers })
    expect(response.json().items.map((n: { title: string }) => n.title)).toEqual(['a1'])
  })

  it('pages with opaque cursors through every record exactly once, in each declared sort', async () => {
    const owner = actor()
    const titles = ['k', 'c', 'x', 'a', 'm', 'e', 'q']
    for (const [i, title] of titles.entries()) await createNote(owner, { title, priority: i % 3 })
    for (const sort of ['title', '-title', 'createdAt', '-createdAt', 'priority', '-priority']) {
      const seen: { title: string; priority: number }[] = []
      let cursor: string | null = null
      do {
        const query: string = `sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ''}`
        const response = await app().inject({ url: `/api/notes?${query}`, headers: owner.headers })
        expect(response.statusCode, response.body).toBe(200)
        const page = response.json()
        expect(page.items.length).toBeLessThanOrEqual(3)
        seen.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      expect(seen.map((n) => n.title).sort()).toEqual([...titles].sort())
      if (sort === 'title') expect(seen.map((n) => n.title)).toEqual([...titles].sort())
      if (sort === '-createdAt') expect(seen.map((n) => n.title)).toEqual([...titles].reverse())
      if (sort === 'priority') expect(seen.map((n) => n.priority)).toEqual([...seen.map((n) => n.priority)].sort())
    }
  })

  it('filters on declared fields only', async () => {
    const owner = actor()
    await createNote(owner, { title: 'Shopping list', status: 'published', priority: 3 })
    await createNote(owner, { title: 'Ideas', priority: 1 })
    const get = (query: string) => app().inject({ url: `/api/notes?${query}`, headers: owner.headers })
    expect((await get('status=published')).json().items.map((n: { title: string }) => n.title)).toEqual(['Shopping list'])
    expect((await get('minPriority=2')).json().items).toHaveLength(1)
    expect((await get('q=IDEA')).json().items.map((n: { title: string }) => n.title)).toEqual(['Ideas'])
    expect((await get('q=%25')).json().items).toEqual([])

    const undeclared = await get('body=x')
    expect(undeclared.statusCode).toBe(400)
    expect(undeclared.json().error.details).toEqual({ 'query.body': 'is not allowed' })
  })

  it('refuses bad cursors, cursors of another sort, and limits over 200', async () => {
    const owner = actor()
    for (const title of ['a', 'b']) await createNote(owner, { title })
    const first = await app().inject({ url: '/api/notes?limit=1&sort=title', headers: owner.headers })
    const { nextCursor } = first.json()
    expect(nextCursor).toEqual(expect.any(String))

    const otherSort = await app().inject({ url: `/api/notes?limit=1&sort=-title&cursor=${nextCursor}`, headers: owner.headers })
    expect(otherSort.statusCode).toBe(400)
    expect(otherSort.json().error.code).toBe('INVALID_CURSOR')
    const garbage = await app().inject({ url: '/api/notes?cursor=garbage', headers: owner.headers })
    expect(garbage.json().error.code).toBe('INVALID_CURSOR')
    const tooMany = await app().inject({ url: '/api/notes?limit=500', headers: owner.headers })
    expect(tooMany.statusCode).toBe(400)
    expect(tooMany.json().error.details['query.limit']).toContain('200')
  })
})

describe('resource toolkit: updates with optimistic concurrency', () => {
  it('PATCH with the current version applies and bumps the version', async () => {
    const owner = actor()
    const note = await createNote(owner, { title: 'Draft' })
    const response = await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: owner.headers, payload: { title: 'Final', version: 1 } })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ title: 'Final', version: 2 })
    expect(response.headers.etag).toBe('"2"')
    expect((await stored(note.id))[0]).toMatchObject({ title: 'Final', version: 2 })
  })

  it('a stale version gets 409 with the current record and changes nothing', async () => {
    const owner = actor()
    const note = await createNote(owner, { title: 'v1' })
    await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: owner.headers, payload: { title: 'v2', version: 1 } })
    const stale = await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: owner.headers, payload: { title: 'lost update', version: 1 } })
    expect(stale.statusCode).toBe(409)
    const { error } = stale.json()
    expect(error.code).toBe('VERSION_CONFLICT')
    expect(error.details.current).toMatchObject({ id: note.id, title: 'v2', version: 2 })
    expect((await stored(note.id))[0]).toMatchObject({ title: 'v2', version: 2 })
  })

  it('a stale If-Match gets 412; a current one applies', async () => {
    const owner = actor()
    const note = await createNote(owner, { title: 'v1' })
    const stale = await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: { ...owner.headers, 'if-match': '"7"' }, payload: { title: 'x' } })
    expect(stale.statusCode).toBe(412)
    expect(stale.json().error).toMatchObject({ code: 'PRECONDITION_FAILED', details: { current: { version: 1 } } })
    const fresh = await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: { ...owner.headers, 'if-match': '"1"' }, payload: { title: 'y' } })
    expect(fresh.statusCode).toBe(200)
  })

  it('PUT requires every editable field; PATCH needs at least one', async () => {
    const owner = actor()
    const note = await createNote(owner, { title: 'x' })
    const put = await app().inject({ method: 'PUT', url: `/api/notes/${note.id}`, headers: owner.headers, payload: { title: 'only title' } })
    expect(put.statusCode).toBe(400)
    expect(Object.keys(put.json().error.details).sort()).toEqual(['body', 'priority', 'status'])
    const full = await app().inject({
      method: 'PUT',
      url: `/api/notes/${note.id}`,
      headers: owner.headers,
      payload: { title: 'All', body: 'b', status: 'published', priority: 1, version: 1 },
    })
    expect(full.statusCode).toBe(200)
    expect(full.json()).toMatchObject({ title: 'All', body: 'b', status: 'published', priority: 1, version: 2 })
    const empty = await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: owner.headers, payload: {} })
    expect(empty.statusCode).toBe(400)
  })

  it("cannot touch another user's record (404) and the record is unchanged", async () => {
    const note = await createNote(actor(), { title: 'mine' })
    const response = await app().inject({ method: 'PATCH', url: `/api/notes/${note.id}`, headers: actor().headers, payload: { title: 'hijack' } })
    expect(response.statusCode).toBe(404)
    expect((await stored(note.id))[0]?.title).toBe('mine')
  })
})

describe('resource toolkit: delete', () => {
  it('deletes within the delete scope; a record readable but outside it is 403 and stays, one not readable 404', async () => {
    const owner = actor()
    const draft = await createNote(owner, { title: 'draft' })
    const published = await createNote(owner, { title: 'published', status: 'published' })

    expect((await app().inject({ method: 'DELETE', url: `/api/notes/${draft.id}`, headers: owner.headers })).statusCode).toBe(204)
    expect(await stored(draft.id)).toHaveLength(0)

    const refused = await app().inject({ method: 'DELETE', url: `/api/notes/${published.id}`, headers: owner.headers })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('FORBIDDEN')
    expect(await stored(published.id)).toHaveLength(1)
    const stranger = await app().inject({ method: 'DELETE', url: `/api/notes/${published.id}`, headers: actor().headers })
    expect(stranger.statusCode).toBe(404)
    expect(await stored(published.id)).toHaveLength(1)

    const stale = await app().inject({ method: 'DELETE', url: `/api/notes/${published.id}`, headers: { ...actor('admin').headers, 'if-match': '"2"' } })
    expect(stale.statusCode).toBe(412)
    expect(stale.json().error).toMatchObject({ code: 'PRECONDITION_FAILED', details: { current: { id: published.id, version: 1 } } })
    expect(await stored(published.id)).toHaveLength(1)

    const byAdmin = await app().inject({ method: 'DELETE', url: `/api/notes/${published.id}`, headers: { ...actor('admin').headers, 'if-match': '"1"' } })
    expect(byAdmin.statusCode).toBe(204)
    expect(await stored(published.id)).toHaveLength(0)
  })
})
