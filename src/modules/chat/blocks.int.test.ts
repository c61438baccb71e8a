import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { testDatabase } from '../../../test/helpers/database.js'
import { chatStore, type ChatRepositories } from './store.js'

const app = useTestApp()
let me: TestUser
let repos: ChatRepositories

beforeAll(async () => {
  me = await loginAs(app())
  repos = chatStore((await testDatabase()).db).repos
})

const block = (as: TestUser, id: string, method: 'POST' | 'DELETE' = 'POST') => app().inject({ method, url: `/api/users/${id}/block`, headers: as.headers })
const listBlocks = (as: TestUser, query = '') => app().inject({ url: `/api/users/me/blocks${query}`, headers: as.headers })

describe('POST /api/users/:id/block', () => {
  it('blocks someone (204, stored one way) and is idempotent: a repeat keeps the first block and its date', async () => {
    const other = await registerUser(app(), { name: 'Blocked Bea' })
    expect((await block(me, other.id)).statusCode).toBe(204)
    const first = (await listBlocks(me)).json().items.find((item: { user: { id: string } }) => item.user.id === other.id)
    expect(first).toEqual({ user: { id: other.id, username: null, name: 'Blocked Bea', avatarUrl: null, deleted: false }, blockedAt: expect.stringMatching(/Z$/) })

    const again = await block(me, other.id)
    expect(again.statusCode).toBe(204)
    expect(again.body).toBe('')
    const items = (await listBlocks(me)).json().items.filter((item: { user: { id: string } }) => item.user.id === other.id)
    expect(items).toEqual([first])
    expect(await repos.blocks.isBlocked(me.id, other.id)).toBe(true)
    expect(await repos.blocks.isBlocked(other.id, me.id)).toBe(false)
    expect(await repos.blocks.blockedEither(other.id, me.id)).toBe(true)
  })

  it('refuses blocking yourself (422 CHAT_BLOCK_SELF) and stores nothing', async () => {
    const response = await block(me, me.id)
    expect(response.statusCode).toBe(422)
    expect(response.json().error).toMatchObject({ code: 'CHAT_BLOCK_SELF' })
    expect(await repos.blocks.isBlocked(me.id, me.id)).toBe(false)
  })

  it('refuses an id that is no account (404 CHAT_USER_NOT_FOUND) or a deleted account', async () => {
    const unknown = await block(me, randomUUID())
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.code).toBe('CHAT_USER_NOT_FOUND')

    const gone = await registerUser(app())
    expect((await app().inject({ method: 'DELETE', url: `/api/users/${gone.id}`, headers: gone.headers })).statusCode).toBe(204)
    const deleted = await block(me, gone.id)
    expect(deleted.statusCode).toBe(404)
    expect(deleted.json().error.code).toBe('CHAT_USER_NOT_FOUND')
  })

  it('refuses a malformed id (400) and anonymous callers (401)', async () => {
    const malformed = await block(me, 'not-a-uuid')
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED')
    const other = await registerUser(app())
    expect((await app().inject({ method: 'POST', url: `/api/users/${other.id}/block` })).statusCode).toBe(401)
    expect((await app().inject({ method: 'DELETE', url: `/api/users/${other.id}/block` })).statusCode).toBe(401)
    expect((await app().inject({ url: '/api/users/me/blocks' })).statusCode).toBe(401)
  })
})

describe('DELETE /api/users/:id/block', () => {
  it('unblocks (204) and is idempotent (204 when not blocked)', async () => {
    const other = await registerUser(app())
    await block(me, other.id)
    expect((await block(me, other.id, 'DELETE')).statusCode).toBe(204)
    expect(await repos.blocks.isBlocked(me.id, other.id)).toBe(false)
    expect((await block(me, other.id, 'DELETE')).statusCode).toBe(204)
  })

  it('only lifts the caller’s own block, never the other person’s', async () => {
    const other = await registerUser(app())
    expect((await block(other, me.id)).statusCode).toBe(204)
    expect((await block(me, other.id, 'DELETE')).statusCode).toBe(204)
    expect(await repos.blocks.isBlocked(other.id, me.id)).toBe(true)
  })

  it('refuses yourself (422) and an unknown id (404)', async () => {
    const self = await block(me, me.id, 'DELETE')
    expect(self.statusCode).toBe(422)
    expect(self.json().error.code).toBe('CHAT_BLOCK_SELF')
    const unknown = await block(me, randomUUID(), 'DELETE')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.code).toBe('CHAT_USER_NOT_FOUND')
  })
})

describe('GET /api/users/me/blocks', () => {
  it('lists the caller’s blocks newest first, by cursor, with profiles; never others’ blocks', async () => {
    const blocker = await registerUser(app())
    const people = [await registerUser(app(), { name: 'P1' }), await registerUser(app(), { name: 'P2' }), await registerUser(app(), { name: 'P3' })]
    for (const person of people) expect((await block(blocker, person.id)).statusCode).toBe(204)
    await block(people[0]!, blocker.id)

    const first = await listBlocks(blocker, '?limit=2')
    expect(first.statusCode).toBe(200)
    const page1 = first.json<{ items: { user: { id: string; name: string } }[]; nextCursor: string | null }>()
    expect(page1.items.map((item) => item.user.name)).toEqual(['P3', 'P2'])
    expect(page1.nextCursor).toEqual(expect.any(String))
    const page2 = (await listBlocks(blocker, `?limit=2&cursor=${page1.nextCursor}`)).json()
    expect(page2.items.map((item: { user: { name: string } }) => item.user.name)).toEqual(['P1'])
    expect(page2.nextCursor).toBeNull()
    expect((await listBlocks(people[1]!)).json()).toEqual({ items: [], nextCursor: null })
  })

  it('refuses a cursor it did not make (400 INVALID_CURSOR) and a bad limit (400)', async () => {
    const bad = await listBlocks(me, '?cursor=garbage')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('INVALID_CURSOR')
    for (const query of ['?limit=0', '?limit=201', '?colour=red']) expect((await listBlocks(me, query)).statusCode, query).toBe(400)
  })
})

describe('routes next to core’s /api/users/:id', () => {
  it('the static `me` segment wins for /users/me/blocks; core’s /users/:id routes still answer as before', async () => {
    expect((await listBlocks(me)).statusCode).toBe(200)
    // `me` is no account id: core's routes refuse it as they always did, they are not shadowed.
    const account = await app().inject({ url: '/api/users/me', headers: me.headers })
    expect(account.statusCode).toBe(400)
    const exported = await app().inject({ url: '/api/users/me/export', headers: me.headers })
    expect(exported.statusCode).toBe(400)
    expect(exported.json().error.code).toBe('VALIDATION_FAILED')
    const own = await app().inject({ url: `/api/users/${me.id}`, headers: me.headers })
    expect(own.statusCode).toBe(200)
    expect(own.json().id).toBe(me.id)
    expect((await app().inject({ url: `/api/users/${me.id}/export`, headers: me.headers })).statusCode).toBe(200)
  })
})

describe('blocksRepository.blockersAmong', () => {
  it('names, in one query, which of these people blocked the given user', async () => {
    const [a, b, c, target] = [await registerUser(app()), await registerUser(app()), await registerUser(app()), await registerUser(app())]
    await block(a, target.id)
    await block(c, target.id)
    await block(target, b.id)
    expect(await repos.blocks.blockersAmong([a.id, b.id, c.id], target.id)).toEqual(new Set([a.id, c.id]))
    expect(await repos.blocks.blockersAmong([], target.id)).toEqual(new Set())
  })
})
