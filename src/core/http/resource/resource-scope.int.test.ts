import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createBoardsRepository } from '../../../../test/fixtures/boards/boards.repository.js'
import { boardsModule, boardsResource } from '../../../../test/fixtures/boards/index.js'
import { boardMembers, boards, createBoardTables } from '../../../../test/fixtures/boards/schema.js'
import { headerActor } from '../../../../test/fixtures/notes/index.js'
import { actor, type TestActor } from '../../../../test/helpers/actors.js'
import { useTestApp } from '../../../../test/helpers/app.js'
import type { Actor } from '../../access/actor.js'
import { PermissionRegistry } from '../../access/permissions.js'
import { AppError } from '../../errors/app-error.js'
import { createResourceService, defineResource, relation } from './index.js'
import type { ResourceRepository } from './types.js'

const app = useTestApp({
  modules: [boardsModule],
  authenticate: headerActor,
  setup: (instance) => instance.platform.database.db.execute(createBoardTables).then(() => undefined),
})

interface Board {
  id: string
  name: string
  ownerId: string
  status: string
  version: number
  openedAt: string | null
}

async function createBoard(as: TestActor, body: Record<string, unknown>): Promise<Board> {
  const response = await app().inject({ method: 'POST', url: '/api/boards', headers: as.headers, payload: body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<Board>()
}

const share = (board: Board, user: TestActor, role: 'editor' | 'viewer') =>
  app().platform.database.db.insert(boardMembers).values({ boardId: board.id, userId: user.id, role })
const stored = async (id: string) => (await app().platform.database.db.select().from(boards).where(eq(boards.id, id)))[0]
const get = (as: TestActor, url: string) => app().inject({ url, headers: as.headers })
const patch = (as: TestActor, id: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  app().inject({ method: 'PATCH', url: `/api/boards/${id}`, headers: { ...as.headers, ...headers }, payload })
const remove = (as: TestActor, id: string) => app().inject({ method: 'DELETE', url: `/api/boards/${id}`, headers: as.headers })

/** Every item of a list, page by page. */
async function listAll(as: TestActor, query: string): Promise<Board[]> {
  const seen: Board[] = []
  let cursor: string | null = null
  do {
    const response = await get(as, `/api/boards?${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    expect(response.statusCode, response.body).toBe(200)
    const page = response.json<{ items: Board[]; nextCursor: string | null }>()
    expect(page.items.length).toBeLessThanOrEqual(2)
    seen.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  return seen
}

describe('resource toolkit: per-record access scopes (relations in SQL)', () => {
  it('a member reads and lists a shared record; a non-member gets 404 everywhere and never sees it', async () => {
    const [owner, viewer, stranger] = [actor(), actor(), actor()]
    const board = await createBoard(owner, { name: 'Shared' })
    await createBoard(owner, { name: 'Private' })
    await share(board, viewer, 'viewer')

    const seen = await get(viewer, `/api/boards/${board.id}`)
    expect(seen.statusCode).toBe(200)
    expect(seen.json()).toMatchObject({ id: board.id, name: 'Shared', ownerId: owner.id })
    expect(seen.headers.etag).toBe('"1"')
    expect((await get(viewer, '/api/boards')).json().items.map((b: Board) => b.name)).toEqual(['Shared'])
    expect((await get(owner, '/api/boards?sort=name')).json().items.map((b: Board) => b.name)).toEqual(['Private', 'Shared'])

    for (const response of [
      await get(stranger, `/api/boards/${board.id}`),
      await patch(stranger, board.id, { name: 'hijacked' }),
      await patch(stranger, board.id, { name: 'hijacked', version: 1 }),
      await remove(stranger, board.id),
      await get(stranger, `/api/boards/${board.id}/members`),
    ]) {
      expect(response.statusCode, response.body).toBe(404)
      expect(response.json().error.code).toBe('NOT_FOUND')
    }
    expect((await get(stranger, '/api/boards')).json().items).toEqual([])
    expect((await get(stranger, `/api/boards?q=Shared`)).json().items).toEqual([])
    expect(await stored(board.id)).toMatchObject({ name: 'Shared', version: 1 })

    // Admins read everything (the rule's `true`: no scope).
    expect((await get(actor('admin'), `/api/boards/${board.id}`)).statusCode).toBe(200)
  })

  it('a viewer may read but not change (403); an editor changes; only the owner deletes', async () => {
    const [owner, viewer, editor] = [actor(), actor(), actor()]
    const board = await createBoard(owner, { name: 'Plans' })
    await share(board, viewer, 'viewer')
    await share(board, editor, 'editor')

    const refused = await patch(viewer, board.id, { name: 'by viewer' })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('FORBIDDEN')
    // Authorization comes before concurrency: a viewer's stale version is still 403, not 409.
    expect((await patch(viewer, board.id, { name: 'by viewer', version: 7 })).statusCode).toBe(403)
    expect(await stored(board.id)).toMatchObject({ name: 'Plans', version: 1 })

    const changed = await patch(editor, board.id, { name: 'Plans v2', version: 1 })
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({ name: 'Plans v2', version: 2 })
    expect(changed.headers.etag).toBe('"2"')

    const editorDelete = await remove(editor, board.id)
    expect(editorDelete.statusCode).toBe(403)
    expect((await remove(viewer, board.id)).statusCode).toBe(403)
    expect(await stored(board.id)).toBeDefined()
    expect((await remove(owner, board.id)).statusCode).toBe(204)
    expect(await stored(board.id)).toBeUndefined()
    expect((await get(viewer, `/api/boards/${board.id}`)).statusCode).toBe(404)
  })

  it('a stale version within the scope is 409 (If-Match: 412) with the current record, and changes nothing', async () => {
    const [owner, editor] = [actor(), actor()]
    const board = await createBoard(owner, { name: 'v1' })
    await share(board, editor, 'editor')
    expect((await patch(owner, board.id, { name: 'v2', version: 1 })).statusCode).toBe(200)

    const stale = await patch(editor, board.id, { name: 'lost update', version: 1 })
    expect(stale.statusCode).toBe(409)
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { id: board.id, name: 'v2', version: 2 } } })
    const staleETag = await patch(editor, board.id, { name: 'lost update' }, { 'if-match': '"1"' })
    expect(staleETag.statusCode).toBe(412)
    expect(staleETag.json().error).toMatchObject({ code: 'PRECONDITION_FAILED', details: { current: { version: 2 } } })
    expect(await stored(board.id)).toMatchObject({ name: 'v2', version: 2 })

    const current = await patch(editor, board.id, { status: 'archived' }, { 'if-match': '"2"' })
    expect(current.json()).toMatchObject({ name: 'v2', status: 'archived', version: 3 })
  })

  it('pages with cursors across scoped results, in every sort, with filters, nulls included', async () => {
    const [me, other] = [actor(), actor()]
    const names = ['k', 'c', 'x', 'a', 'm']
    const mine: Board[] = []
    for (const [i, name] of names.entries()) {
      mine.push(await createBoard(me, { name: `mine ${name}`, openedAt: i % 2 ? `2026-0${i}-01T00:00:00.000Z` : null, status: i === 4 ? 'archived' : 'active' }))
    }
    const theirs: Board[] = []
    for (const name of ['b', 'n', 'y', 'd']) theirs.push(await createBoard(other, { name: `theirs ${name}`, openedAt: name === 'n' ? null : '2026-05-05T00:00:00.000Z' }))
    await share(theirs[0]!, me, 'viewer')
    await share(theirs[1]!, me, 'editor')
    const visible = [...mine, theirs[0]!, theirs[1]!].map((b) => b.name).sort()

    for (const sort of ['name', '-name', 'createdAt', '-createdAt', 'openedAt', '-openedAt']) {
      const seen = await listAll(me, `sort=${sort}`)
      expect(seen.map((b) => b.name).sort(), sort).toEqual(visible)
      expect(new Set(seen.map((b) => b.id)).size).toBe(visible.length)
      if (sort === 'name') expect(seen.map((b) => b.name)).toEqual(visible)
      if (sort === 'openedAt') expect(seen.slice(-3).map((b) => b.openedAt)).toEqual([null, null, null])
      if (sort === '-openedAt') expect(seen.slice(0, 3).map((b) => b.openedAt)).toEqual([null, null, null])
    }
    const active = await listAll(me, 'sort=name&status=active')
    expect(active.map((b) => b.name)).toEqual(visible.filter((name) => name !== 'mine m'))
    expect((await listAll(me, 'q=theirs')).map((b) => b.name).sort()).toEqual(['theirs b', 'theirs n'])
    expect((await listAll(other, 'q=mine'))).toEqual([])
  })

  it("a module's own route uses the same rules: members of a board are visible to whoever may read it", async () => {
    const [owner, viewer] = [actor(), actor()]
    const board = await createBoard(owner, { name: 'Team' })
    await share(board, viewer, 'viewer')
    const members = await get(viewer, `/api/boards/${board.id}/members`)
    expect(members.statusCode, members.body).toBe(200)
    expect(members.json()).toEqual({ items: [{ userId: viewer.id, role: 'viewer' }] })
  })

  it("a module's nested list reuses the list's query string, scope and cursors", async () => {
    const [owner, me] = [actor(), actor()]
    const shared: Board[] = []
    for (const name of ['a', 'b', 'c']) shared.push(await createBoard(owner, { name }))
    await createBoard(owner, { name: 'hidden' })
    await createBoard(me, { name: 'my own' })
    for (const board of shared) await share(board, me, 'viewer')

    const names: string[] = []
    let cursor: string | null = null
    do {
      const response = await get(me, `/api/owners/${owner.id}/boards?sort=name&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(response.statusCode, response.body).toBe(200)
      names.push(...response.json().items.map((b: Board) => b.name))
      cursor = response.json().nextCursor
    } while (cursor)
    expect(names).toEqual(['a', 'b', 'c'])
    // The path gives the owner: the query string may not.
    const twice = await get(me, `/api/owners/${owner.id}/boards?ownerId=${me.id}`)
    expect(twice.statusCode).toBe(400)
    expect(twice.json().error.details).toEqual({ 'query.ownerId': 'is not allowed' })
  })

  it('registers only the declared operations (no PUT on boards)', async () => {
    const board = await createBoard(actor(), { name: 'x' })
    const put = await app().inject({ method: 'PUT', url: `/api/boards/${board.id}`, headers: actor().headers, payload: { name: 'y' } })
    expect(put.statusCode).toBe(405)
    expect(app().swagger().paths?.['/api/boards/{id}']).not.toHaveProperty('put')
  })
})

describe('resource toolkit: relations are declared by the repository', () => {
  it('a policy naming a relation its repository lacks fails loudly, not open', async () => {
    const repository = { fields: ['ownerId', 'createdAt'], relations: ['member'] } as unknown as ResourceRepository
    const spec = defineResource({
      name: 'Thing',
      path: '/things',
      tag: 'things',
      schemas: { record: boards as never, create: boards as never, update: boards as never },
      sorts: ['createdAt'],
      defaultSort: 'createdAt',
      policy: { read: (a) => relation('membr', a.id), update: () => true, delete: () => true, create: () => true },
      toRecord: (row) => row,
    })
    const service = createResourceService(spec, repository, new PermissionRegistry())
    await expect(service.get({ id: actor().id, role: 'user' }, actor().id)).rejects.toThrow('relation "membr" is not declared')
  })
})

describe('resource toolkit: the service checks the spec permissions itself', () => {
  /** The boards service as a module's own route would call it (no route preHandler in between). */
  const service = () => {
    const registry = new PermissionRegistry()
    registry.declare(...boardsModule.permissions)
    return createResourceService(boardsResource, createBoardsRepository(app().platform.database.db), registry)
  }
  const refusal = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AppError)
    return { code: (error as AppError).code, status: (error as AppError).status, message: (error as AppError).message }
  }

  it('a role without boards:write may not write through the service, though the policy would allow it (403)', async () => {
    const owner = actor()
    const board = await createBoard(owner, { name: 'Plan' })
    const worker = actor('worker') // boards:read only
    await share(board, worker, 'editor') // the update policy lets editors change the board
    const as: Actor = { id: worker.id, role: 'worker' }

    expect((await service().get(as, board.id)).name).toBe('Plan')
    const forbidden = { code: 'FORBIDDEN', status: 403, message: 'This requires the boards:write permission.' }
    expect(await refusal(service().update(as, board.id, { name: 'Hijacked' }, {}))).toEqual(forbidden)
    expect(await refusal(service().authorize(as, board.id, 'update'))).toEqual(forbidden)
    expect(await refusal(service().remove(as, board.id, {}))).toEqual(forbidden)
    expect(await refusal(service().create(as, { name: 'Mine' }))).toEqual(forbidden)
    expect((await stored(board.id))?.name).toBe('Plan')
  })

  it('an API key scoped to boards:read cannot update its owner\'s board through the service (API_KEY_SCOPE_MISSING)', async () => {
    const owner = actor()
    const board = await createBoard(owner, { name: 'Plan' })
    const key: Actor = { id: owner.id, role: 'user', apiKey: { id: randomUUID(), scopes: ['boards:read'] } }

    expect((await service().authorize(key, board.id, 'read')).id).toBe(board.id)
    expect((await service().list(key, { filters: {}, limit: 10 })).items.map((b) => b.id)).toContain(board.id)
    const missing = { code: 'API_KEY_SCOPE_MISSING', status: 403, message: "This API key's scopes do not include boards:write." }
    expect(await refusal(service().update(key, board.id, { name: 'Hijacked' }, {}))).toEqual(missing)
    expect(await refusal(service().remove(key, board.id, {}))).toEqual(missing)
    expect((await stored(board.id))?.name).toBe('Plan')

    // A key without even the read scope cannot read.
    const none: Actor = { ...key, apiKey: { id: randomUUID(), scopes: [] } }
    expect((await refusal(service().get(none, board.id))).code).toBe('API_KEY_SCOPE_MISSING')
    // The owner's own session may.
    const updated = await service().update({ id: owner.id, role: 'user' }, board.id, { name: 'Renamed' }, {})
    expect(updated.name).toBe('Renamed')
  })

  it('a permission the registry does not know fails when the service is made', () => {
    expect(() => createResourceService(boardsResource, createBoardsRepository(app().platform.database.db), new PermissionRegistry())).toThrow(
      'Unknown permission "boards:read"',
    )
  })
})
