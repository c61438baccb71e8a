import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { headerActor } from '../../test/fixtures/notes/index.js'
import { buildTestApp, useTestApp } from '../../test/helpers/app.js'
import { loginAs, registerUser, uniqueEmail, type TestUser } from '../../test/helpers/auth.js'
import { captureLogs } from '../../test/helpers/logs.js'
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js'
import { editUser, expectError } from '../../test/helpers/user-admin.js'
import { createOutboxRepository } from './email/outbox.repository.js'
import type { MailTemplate } from './email/module-mail.js'
import { defineModule, type ModuleContext } from './module.js'
import { USER_SEARCH_MAX } from './users/directory.js'

/** What the platform hands a module beyond jobs, files and the cache: users, mail, rate limits. */
const contexts = new Map<FastifyInstance, ModuleContext>()
let lastContext: ModuleContext | undefined

const reminder: MailTemplate<{ what: string; link: string }> = {
  subject: ({ what }) => `Reminder:\r\n${what}`,
  text: ({ what, link }, to) => `Hello ${to.name ?? 'there'},\n\n${what}: ${link}\n`,
  html: ({ what }) => `<p>${what}</p>`,
}

const probe = (perMinute: number) =>
  defineModule({
    name: 'probe',
    permissions: [],
    mailTemplates: { reminder },
    createApi: (ctx) => {
      lastContext = ctx
      return { ctx, limit: ctx.rateLimit({ name: 'ping', perMinute, message: 'Too many pings' }), off: ctx.rateLimit({ name: 'unlimited', perMinute: 0 }) }
    },
    routes: (api) => async (app) => {
      app.get('/probe/ping', { preHandler: api.limit }, async () => ({ ok: true }))
      // One hook on two routes: they share its counter.
      app.get('/probe/pong', { preHandler: api.limit }, async () => ({ ok: true }))
      app.get('/probe/free', { preHandler: api.off }, async () => ({ ok: true }))
    },
  })

async function probeApp(perMinute: number, options: Parameters<typeof buildTestApp>[0] = {}): Promise<{ app: FastifyInstance; ctx: ModuleContext }> {
  const app = await buildTestApp({ ...options, modules: [probe(perMinute)] })
  contexts.set(app, lastContext!)
  return { app, ctx: lastContext! }
}

const logs = captureLogs()
const app = useTestApp({ modules: [probe(3)], logStream: logs.stream, env: { LOG_LEVEL: 'info' } })
const ctx = (): ModuleContext => {
  let found = contexts.get(app())
  if (!found) contexts.set(app(), (found = lastContext!))
  return found
}
const extraApps: FastifyInstance[] = []
afterAll(async () => {
  for (const extra of extraApps) await extra.close()
})

const remove = (as: TestUser, id: string) => app().inject({ method: 'DELETE', url: `/api/users/${id}`, headers: as.headers })

describe('ctx.users', () => {
  it('profiles: public fields of any number of ids, deleted accounts flagged, unknown and malformed ids absent', async () => {
    const tag = randomUUID().slice(0, 8)
    const [alice, bob] = [await registerUser(app(), { name: `Alice ${tag}`, username: `alice_${tag}` }), await registerUser(app(), { name: `Bob ${tag}` })]
    await app().inject({ method: 'PATCH', url: `/api/users/${alice.id}`, headers: alice.headers, payload: { avatarUrl: 'https://img.example/a.png', version: 1 } })
    expect((await remove(bob, bob.id)).statusCode).toBe(204)
    const unknown = randomUUID()

    const profiles = await ctx().users.profiles([alice.id, bob.id, unknown, 'not-an-id', alice.id])
    expect([...profiles.keys()].sort()).toEqual([alice.id, bob.id].sort())
    expect(profiles.get(alice.id)).toEqual({ id: alice.id, username: `alice_${tag}`, name: `Alice ${tag}`, avatarUrl: 'https://img.example/a.png', deleted: false })
    expect(profiles.get(bob.id)).toEqual({ id: bob.id, username: null, name: 'Deleted user', avatarUrl: null, deleted: true })
    // Never the address, role or state.
    expect(JSON.stringify([...profiles.values()])).not.toContain('@')
    // Administrators' views may have the address, through contacts.
    const contacts = await ctx().users.contacts([alice.id, bob.id, unknown, 'not-an-id'])
    expect([...contacts.keys()].sort()).toEqual([alice.id, bob.id].sort())
    expect(contacts.get(alice.id)).toEqual({ ...profiles.get(alice.id), email: alice.email })
    expect(contacts.get(bob.id)).toEqual({ ...profiles.get(bob.id), email: `deleted-${bob.id}@deleted.invalid` })

    // Upper-case ids are the same ids; more than one batch (500) of ids is still one answer.
    const many = [alice.id.toUpperCase(), ...Array.from({ length: 1200 }, () => randomUUID())]
    expect([...(await ctx().users.profiles(many)).keys()]).toEqual([alice.id])
    expect((await ctx().users.profiles([])).size).toBe(0)
  })

  it('search: by name or username, case-insensitively, active accounts only, bounded', async () => {
    const tag = randomUUID().slice(0, 8)
    const admin = await loginAs(app(), 'admin')
    const carol = await registerUser(app(), { name: `Carol ${tag}` })
    const dave = await registerUser(app(), { name: 'Dave', username: `d_${tag}` })
    const erin = await registerUser(app(), { name: `Erin ${tag}`, email: `${tag}-erin@example.test` })
    const frank = await registerUser(app(), { name: `Frank ${tag}` })
    expect((await editUser(app(), admin, erin.id, { disabled: true, version: 1 })).statusCode).toBe(200)
    expect((await remove(frank, frank.id)).statusCode).toBe(204)

    expect((await ctx().users.search(tag.toUpperCase())).map((p) => p.id)).toEqual([carol.id, dave.id])
    expect((await ctx().users.search(`  d_${tag} `)).map((p) => p.name)).toEqual(['Dave'])
    // Not by e-mail address; LIKE wildcards are literal.
    expect(await ctx().users.search(`${tag}-erin@`)).toEqual([])
    expect(await ctx().users.search('%')).toEqual([])
    expect(await ctx().users.search('   ')).toEqual([])
    expect(await ctx().users.search(tag, { limit: 1 })).toHaveLength(1)

    const crowd = `crowd${randomUUID().slice(0, 8)}`
    // Stored directly (no password to hash): enough accounts to pass the cap.
    const { users } = app().platform.identity.store.repos
    for (let i = 0; i < USER_SEARCH_MAX + 5; i++) await users.insert({ email: uniqueEmail('crowd'), name: `${crowd} ${i}`, role: 'user' })
    expect(await ctx().users.search(crowd, { limit: 1000 })).toHaveLength(USER_SEARCH_MAX)
  }, 60_000)

  it('exists and existing: accounts that are not deleted (a disabled one still exists)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [kept, disabled, gone] = [await registerUser(app()), await registerUser(app()), await registerUser(app())]
    expect((await editUser(app(), admin, disabled.id, { disabled: true, version: 1 })).statusCode).toBe(200)
    expect((await remove(gone, gone.id)).statusCode).toBe(204)
    expect(await ctx().users.exists(kept.id)).toBe(true)
    expect(await ctx().users.exists(disabled.id)).toBe(true)
    expect(await ctx().users.exists(gone.id)).toBe(false)
    expect(await ctx().users.exists(randomUUID())).toBe(false)
    expect(await ctx().users.exists('nope')).toBe(false)
    expect(await ctx().users.existing([kept.id, disabled.id, gone.id, randomUUID(), 'nope'])).toEqual(new Set([kept.id, disabled.id]))
  })
})

describe('ctx.mail', () => {
  const outbox = () => createOutboxRepository(app().platform.database.db)

  it('renders the module’s template for an account, queued as email.send and kept in the outbox', async () => {
    const user = await registerUser(app(), { name: 'Grace' })
    const token = `secret-${randomUUID()}`
    const id = await ctx().mail.send({ to: { userId: user.id }, template: 'reminder', data: { what: 'Return cylinders', link: `https://plinth.example/r?token=${token}` } })
    expect(id).toEqual(expect.any(String))
    await expect.poll(async () => (await outbox().listFor(user.email)).filter((m) => m.subject.startsWith('Reminder')).length, { timeout: 10_000 }).toBe(1)
    const [message] = (await outbox().listFor(user.email)).filter((m) => m.subject.startsWith('Reminder'))
    expect(message).toMatchObject({
      subject: 'Reminder: Return cylinders',
      text: `Hello Grace,\n\nReturn cylinders: https://plinth.example/r?token=${token}\n`,
      html: '<p>Return cylinders</p>',
    })
    await expect.poll(async () => (await app().platform.jobs.find('email.send', id!))?.state, { timeout: 10_000 }).toBe('completed')
    // The outbox logs who and what, never the message's links or data.
    await logs.waitForLine((line) => line.msg === 'e-mail kept in the outbox (no SMTP_URL)' && line.subject === 'Reminder: Return cylinders')
    expect(logs.lines.join('')).not.toContain(token)
  })

  it('sends to an address the module holds, the template seeing no name', async () => {
    const address = uniqueEmail('customer')
    expect(await ctx().mail.send({ to: { address }, template: 'reminder', data: { what: 'Pick-up', link: 'https://x.example' } })).toEqual(expect.any(String))
    await expect.poll(async () => (await outbox().listFor(address)).map((m) => m.text), { timeout: 10_000 }).toEqual(['Hello there,\n\nPick-up: https://x.example\n'])
  })

  it('sends nothing to a deleted, disabled or unknown account (null)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [gone, disabled] = [await registerUser(app()), await registerUser(app())]
    expect((await remove(gone, gone.id)).statusCode).toBe(204)
    expect((await editUser(app(), admin, disabled.id, { disabled: true, version: 1 })).statusCode).toBe(200)
    for (const userId of [gone.id, disabled.id, randomUUID(), 'nope']) {
      expect(await ctx().mail.send({ to: { userId }, template: 'reminder', data: { what: 'x', link: 'y' } })).toBeNull()
    }
    expect(await outbox().listFor(disabled.email)).toHaveLength(1) // the verification e-mail only
  })

  it('refuses an undeclared template and a malformed address', async () => {
    await expect(ctx().mail.send({ to: { address: uniqueEmail() }, template: 'toString' })).rejects.toThrow('Mail template "toString" is not declared by module "probe"')
    await expect(ctx().mail.send({ to: { address: 'a@b\nBcc: c@d' }, template: 'reminder', data: { what: 'x', link: 'y' } })).rejects.toThrow('malformed address')
  })

  it('a badly named template fails the boot', async () => {
    const bad = defineModule({ name: 'bad-mail', permissions: [], mailTemplates: { Welcome: reminder }, createApi: () => ({}), routes: () => async () => {} })
    await expect(buildTestApp({ modules: [bad] })).rejects.toThrow('Mail template "Welcome" of "bad-mail"')
  })
})

describe('ctx.rateLimit', () => {
  const actor = (role = 'user') => ({ 'x-test-actor': `${randomUUID()}:${role}` })

  it('answers 429 RATE_LIMITED past the limit, with Retry-After and the limit headers, per account, shared by the routes of one hook', async () => {
    const [one, two] = [await registerUser(app()), await registerUser(app())]
    const call = (user: TestUser, path: string) => app().inject({ url: `/api/probe/${path}`, headers: user.headers })
    for (const path of ['ping', 'pong', 'ping']) {
      const allowed = await call(one, path)
      expect(allowed.statusCode).toBe(200)
      // Only a refusal carries this limit's headers (the general limit, off here, sends its own).
      expect(allowed.headers['x-ratelimit-limit']).toBeUndefined()
    }
    const refused = await call(one, 'pong')
    const error = expectError(refused, 429, 'RATE_LIMITED')
    expect(error.message).toMatch(/^Too many pings; retry in \d+ s\.$/)
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(error.details).toEqual({ limitPerMinute: 3, retryAfterSeconds: retryAfter })
    expect(refused.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(retryAfter) })
    // Another account has its own budget; a limit of 0 is no limit.
    expect((await call(two, 'ping')).statusCode).toBe(200)
    for (let i = 0; i < 5; i++) expect((await call(one, 'free')).statusCode).toBe(200)
  })

  it('counts signed-out callers by IP', async () => {
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`
    const call = (remoteAddress: string) => app().inject({ url: '/api/probe/ping', remoteAddress })
    for (let i = 0; i < 3; i++) expect((await call(ip)).statusCode).toBe(200)
    expectError(await call(ip), 429, 'RATE_LIMITED')
    expect((await call('10.8.0.1')).statusCode).toBe(200)
  })

  it.runIf(Boolean(process.env.REDIS_URL))('with REDIS_URL the count is shared by every instance', async () => {
    const [first, second] = [await probeApp(2, { authenticate: headerActor }), await probeApp(2, { authenticate: headerActor })]
    extraApps.push(first.app, second.app)
    const headers = actor()
    expect((await first.app.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
    expect((await second.app.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
    expectError(await first.app.inject({ url: '/api/probe/ping', headers }), 429, 'RATE_LIMITED')
    expectError(await second.app.inject({ url: '/api/probe/ping', headers }), 429, 'RATE_LIMITED')
  })

  it.runIf(Boolean(process.env.REDIS_URL))('while Redis is unreachable each instance counts in memory: requests are answered, the limit still holds', async () => {
    const redisUrl = new URL(process.env.REDIS_URL!)
    const proxy = await startTcpProxy(Number(redisUrl.port || 6379), redisUrl.hostname)
    try {
      const { app: limited } = await probeApp(2, { authenticate: headerActor, env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${redisUrl.pathname}` } })
      extraApps.push(limited)
      const headers = actor()
      expect((await limited.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
      await proxy.cut()
      // The in-memory stand-in starts counting at the outage.
      expect((await limited.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
      expect((await limited.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
      expectError(await limited.inject({ url: '/api/probe/ping', headers }), 429, 'RATE_LIMITED')
      expect((await limited.inject({ url: '/api/probe/ping', headers: actor() })).statusCode).toBe(200)
    } finally {
      await proxy.close()
    }
  })

  it.runIf(!process.env.REDIS_URL)('without REDIS_URL each instance counts in memory', async () => {
    const [first, second] = [await probeApp(1, { authenticate: headerActor }), await probeApp(1, { authenticate: headerActor })]
    extraApps.push(first.app, second.app)
    const headers = actor()
    expect((await first.app.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
    expect((await second.app.inject({ url: '/api/probe/ping', headers })).statusCode).toBe(200)
    expectError(await first.app.inject({ url: '/api/probe/ping', headers }), 429, 'RATE_LIMITED')
  })

  it('a limit named twice, or badly, fails the boot', async () => {
    const twice = defineModule({
      name: 'twice',
      permissions: [],
      createApi: (c) => [c.rateLimit({ name: 'scan', perMinute: 1 }), c.rateLimit({ name: 'scan', perMinute: 2 })],
      routes: () => async () => {},
    })
    await expect(buildTestApp({ modules: [twice] })).rejects.toThrow('Rate limit "scan" of "twice" is defined twice')
    const badly = defineModule({ name: 'badly', permissions: [], createApi: (c) => c.rateLimit({ name: 'Scan', perMinute: 1 }), routes: () => async () => {} })
    await expect(buildTestApp({ modules: [badly] })).rejects.toThrow('Rate limit "Scan" of "badly"')
  })
})
