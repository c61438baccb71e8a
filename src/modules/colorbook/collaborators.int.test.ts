import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, uniqueEmail, type TestUser } from '../../../test/helpers/auth.js'
import { call, createProject, setPlan } from '../../../test/helpers/colorbook.js'
import { storedCollaborators as collaboratorsOf, storedPending as pendingOf } from '../../../test/helpers/colorbook-sharing.js'
import { expectError, linkToken, outbox, waitFor, waitForMessage } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

const storedCollaborators = (projectId: string) => collaboratorsOf(app(), projectId)
const storedPending = (projectId: string) => pendingOf(app(), projectId)
const url = (projectId: string) => `/api/projects/${projectId}/collaborators`

/** An enterprise owner (25 collaborators per project) and one of their projects. */
async function sharedProject() {
  const owner = await loginAs(app())
  await setPlan(app(), owner, 'enterprise')
  return { owner, project: await createProject(app(), owner, { title: 'Team book' }) }
}

async function shareWith(owner: TestUser, projectId: string, user: TestUser, role: 'editor' | 'viewer'): Promise<unknown> {
  const response = await call(app(), owner, 'POST', url(projectId), { email: user.email.toUpperCase(), role })
  expect(response.statusCode, response.body).toBe(201)
  return response.json()
}

describe('POST /api/projects/:id/collaborators', () => {
  it('shares with an existing account at once, tells them by e-mail, and lists them', async () => {
    const { owner, project } = await sharedProject()
    const bob = await registerUser(app(), { name: 'Bob Painter' })
    const body = await shareWith(owner, project.id, bob, 'viewer')
    expect(body).toEqual({
      status: 'added',
      collaborator: { userId: bob.id, role: 'viewer', name: 'Bob Painter', username: null, avatarUrl: null, invitedBy: owner.id, createdAt: expect.stringMatching(/Z$/), updatedAt: expect.stringMatching(/Z$/) },
    })
    expect(await storedCollaborators(project.id)).toMatchObject([{ userId: bob.id, role: 'viewer', invitedBy: owner.id }])
    expect((await call(app(), bob, 'GET', `/api/projects/${project.id}`)).json()).toMatchObject({ id: project.id, role: 'viewer' })
    const mail = await waitForMessage(app(), bob.email, /shared “Team book” with you/)
    expect(mail.text).toContain(`/projects/${project.id}`)
    expect(mail.text).toContain('you can view it')

    const asBob = (await call(app(), bob, 'GET', url(project.id))).json()
    expect(asBob).toEqual({ items: [expect.objectContaining({ userId: bob.id, role: 'viewer' })], pending: [] })
  })

  it('refuses what only the owner may do, repeats, the owner’s own address and bad input, storing nothing', async () => {
    const { owner, project } = await sharedProject()
    const [ed, vi, stranger, other] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    await shareWith(owner, project.id, ed, 'editor')
    await shareWith(owner, project.id, vi, 'viewer')
    expectError(await call(app(), ed, 'POST', url(project.id), { email: other.email, role: 'viewer' }), 403, 'COLORBOOK_OWNER_ONLY')
    expectError(await call(app(), vi, 'PATCH', `/api/projects/${project.id}`, { title: 'Mine now', version: 1 }), 403, 'COLORBOOK_READ_ONLY')
    expect((await call(app(), ed, 'PATCH', `/api/projects/${project.id}`, { title: 'Edited', version: 1 })).statusCode).toBe(200)
    expectError(await call(app(), ed, 'DELETE', `/api/projects/${project.id}`), 403, 'COLORBOOK_OWNER_ONLY')
    expectError(await call(app(), stranger, 'POST', url(project.id), { email: other.email, role: 'viewer' }), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'GET', url(project.id)), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'POST', url(project.id), { email: stranger.email, role: 'viewer' }), 404, 'NOT_FOUND')
    expectError(await call(app(), stranger, 'DELETE', `${url(project.id)}/${ed.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), ed, 'PUT', `${url(project.id)}/${vi.id}`, { role: 'editor' }), 403, 'COLORBOOK_OWNER_ONLY')
    expectError(await call(app(), owner, 'POST', url(project.id), { email: ed.email, role: 'viewer' }), 409, 'COLORBOOK_ALREADY_SHARED')
    expectError(await call(app(), owner, 'POST', url(project.id), { email: owner.email, role: 'viewer' }), 422, 'COLORBOOK_SHARE_SELF')
    expectError(await call(app(), owner, 'POST', url(project.id), { email: other.email, role: 'owner' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), owner, 'POST', url(project.id), { email: 'not an address', role: 'viewer' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), owner, 'POST', url(project.id), { email: other.email, role: 'viewer', note: 'hi' }), 400, 'VALIDATION_FAILED')
    expect((await storedCollaborators(project.id)).map((c) => c.userId).sort()).toEqual([ed.id, vi.id].sort())
    expect(await storedPending(project.id)).toEqual([])
    await call(app(), owner, 'DELETE', `/api/projects/${project.id}`)
    expectError(await call(app(), owner, 'POST', url(project.id), { email: other.email, role: 'viewer' }), 409, 'COLORBOOK_PROJECT_TRASHED')
    expectError(await call(app(), ed, 'GET', url(project.id)), 404, 'NOT_FOUND')
  })

  it('follows the owner’s plan: no sharing on free, 25 on enterprise with invitations counted, checked in the transaction', async () => {
    const free = await loginAs(app())
    const bob = await loginAs(app())
    const project = await createProject(app(), free)
    const refused = expectError(await call(app(), free, 'POST', url(project.id), { email: bob.email, role: 'viewer' }), 402, 'PLAN_LIMIT_REACHED')
    expect(refused.details).toEqual({ limit: 'collaboratorsPerProject', used: 0, allowed: 0, plan: 'free' })
    expect(await storedCollaborators(project.id)).toEqual([])

    const { owner, project: big } = await sharedProject()
    for (let i = 0; i < 23; i++) expect((await call(app(), owner, 'POST', url(big.id), { email: uniqueEmail('invitee'), role: 'viewer' })).statusCode).toBe(202)
    const both = await Promise.all([call(app(), owner, 'POST', url(big.id), { email: uniqueEmail('a'), role: 'viewer' }), call(app(), owner, 'POST', url(big.id), { email: bob.email, role: 'editor' })])
    // 23 + 2 = 25: both fit; the 26th does not.
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 202])
    const racing = await Promise.all([call(app(), owner, 'POST', url(big.id), { email: uniqueEmail('b'), role: 'viewer' }), call(app(), owner, 'POST', url(big.id), { email: uniqueEmail('c'), role: 'viewer' })])
    expect(racing.map((r) => r.statusCode)).toEqual([402, 402])
    expect(expectError(racing[0], 402, 'PLAN_LIMIT_REACHED').details).toEqual({ limit: 'collaboratorsPerProject', used: 25, allowed: 25, plan: 'enterprise' })
    expect((await storedPending(big.id)).length + (await storedCollaborators(big.id)).length).toBe(25)
  })

  it('stores one of two shares sent at once at the limit', async () => {
    const { owner, project } = await sharedProject()
    for (let i = 0; i < 24; i++) await call(app(), owner, 'POST', url(project.id), { email: uniqueEmail('invitee'), role: 'viewer' })
    const answers = await Promise.all([call(app(), owner, 'POST', url(project.id), { email: uniqueEmail('x'), role: 'viewer' }), call(app(), owner, 'POST', url(project.id), { email: uniqueEmail('y'), role: 'viewer' })])
    expect(answers.map((r) => r.statusCode).sort()).toEqual([202, 402])
    expect(await storedPending(project.id)).toHaveLength(25)
  })
})

describe('PUT and DELETE /api/projects/:id/collaborators/:userId', () => {
  it('lets the owner change a role; a viewer made editor may edit', async () => {
    const { owner, project } = await sharedProject()
    const [vi, stranger] = await Promise.all([loginAs(app()), loginAs(app())])
    await shareWith(owner, project.id, vi, 'viewer')
    expectError(await call(app(), vi, 'PUT', `${url(project.id)}/${vi.id}`, { role: 'editor' }), 403, 'COLORBOOK_OWNER_ONLY')
    expectError(await call(app(), owner, 'PUT', `${url(project.id)}/${stranger.id}`, { role: 'editor' }), 404, 'NOT_FOUND')
    expectError(await call(app(), owner, 'PUT', `${url(project.id)}/${vi.id}`, { role: 'admin' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), stranger, 'PUT', `${url(project.id)}/${vi.id}`, { role: 'editor' }), 404, 'NOT_FOUND')
    const changed = await call(app(), owner, 'PUT', `${url(project.id)}/${vi.id}`, { role: 'editor' })
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({ userId: vi.id, role: 'editor' })
    expect((await call(app(), vi, 'PATCH', `/api/projects/${project.id}`, { title: 'Now I edit', version: 1 })).statusCode).toBe(200)
  })

  it('removes a collaborator (the owner, or themselves leaving), ending their live subscription at once', async () => {
    const { owner, project } = await sharedProject()
    const [ed, vi] = await Promise.all([loginAs(app()), loginAs(app())])
    await shareWith(owner, project.id, ed, 'editor')
    await shareWith(owner, project.id, vi, 'viewer')
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, vi.headers)
    sockets.push(socket)
    await socket.ofType('ready')
    const room = `project:${project.id}`
    expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })

    expectError(await call(app(), ed, 'DELETE', `${url(project.id)}/${vi.id}`), 403, 'COLORBOOK_OWNER_ONLY')
    expect((await call(app(), owner, 'DELETE', `${url(project.id)}/${vi.id}`)).statusCode).toBe(204)
    expect(await socket.next((m) => m.type === 'unsubscribed')).toMatchObject({ type: 'unsubscribed', room, reason: 'revoked' })
    expectError(await call(app(), vi, 'GET', `/api/projects/${project.id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), owner, 'DELETE', `${url(project.id)}/${vi.id}`), 404, 'NOT_FOUND')

    expect((await call(app(), ed, 'DELETE', `${url(project.id)}/${ed.id}`)).statusCode).toBe(204)
    expect(await storedCollaborators(project.id)).toEqual([])
  })
})

describe('the project:<id> room', () => {
  it('carries collaborator.added, .updated and .removed after each commit', async () => {
    const { owner, project } = await sharedProject()
    const bob = await loginAs(app())
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, owner.headers)
    sockets.push(socket)
    await socket.ofType('ready')
    const room = `project:${project.id}`
    await socket.subscribe(room)
    await shareWith(owner, project.id, bob, 'viewer')
    expectError(await call(app(), owner, 'POST', url(project.id), { email: bob.email, role: 'viewer' }), 409, 'COLORBOOK_ALREADY_SHARED')
    await call(app(), owner, 'PUT', `${url(project.id)}/${bob.id}`, { role: 'editor' })
    await call(app(), owner, 'DELETE', `${url(project.id)}/${bob.id}`)
    expect((await socket.events(room, 3)).map((e) => [e.event, e.data])).toEqual([
      ['collaborator.added', { projectId: project.id, userId: bob.id, role: 'viewer' }],
      ['collaborator.updated', { projectId: project.id, userId: bob.id, role: 'editor' }],
      ['collaborator.removed', { projectId: project.id, userId: bob.id }],
    ])
  })
})

describe('sharing with an address that has no account', () => {
  it('e-mails an invitation; the share applies once that address registers and verifies it', async () => {
    const { owner, project } = await sharedProject()
    const email = uniqueEmail('newcomer')
    const invited = await call(app(), owner, 'POST', url(project.id), { email: email.toUpperCase(), role: 'editor' })
    expect(invited.statusCode, invited.body).toBe(202)
    expect(invited.json()).toEqual({ status: 'invited', pending: { id: expect.any(String), email, role: 'editor', invitedBy: owner.id, createdAt: expect.stringMatching(/Z$/) } })
    const invitation = await waitForMessage(app(), email, /invited you to “Team book”/)
    expect(invitation.text).toContain(`/register?email=${encodeURIComponent(email)}`)
    expect((await call(app(), owner, 'GET', url(project.id))).json()).toEqual({ items: [], pending: [invited.json().pending] })
    expectError(await call(app(), owner, 'POST', url(project.id), { email, role: 'viewer' }), 409, 'COLORBOOK_ALREADY_SHARED')

    const newcomer = await registerUser(app(), { email })
    // Registered, not verified yet: no share.
    expectError(await call(app(), newcomer, 'GET', `/api/projects/${project.id}`), 404, 'NOT_FOUND')
    const message = await waitFor(async () => (await outbox(app(), email)).find((m) => /Confirm your e-mail/.test(m.subject)))
    const verified = await app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: linkToken(message.text, '/verify-email') } })
    expect(verified.statusCode, verified.body).toBe(200)

    expect((await call(app(), newcomer, 'GET', `/api/projects/${project.id}`)).json()).toMatchObject({ id: project.id, role: 'editor' })
    expect(await storedCollaborators(project.id)).toMatchObject([{ userId: newcomer.id, role: 'editor', invitedBy: owner.id }])
    expect(await storedPending(project.id)).toMatchObject([{ email, acceptedAt: expect.any(Date) }])
    expect((await call(app(), owner, 'GET', url(project.id))).json().pending).toEqual([])
  })

  it('lets the owner withdraw an invitation, which then never applies', async () => {
    const { owner, project } = await sharedProject()
    const ed = await loginAs(app())
    await shareWith(owner, project.id, ed, 'editor')
    const email = uniqueEmail('withdrawn')
    const { pending } = (await call(app(), owner, 'POST', url(project.id), { email, role: 'viewer' })).json()
    expectError(await call(app(), ed, 'DELETE', `/api/projects/${project.id}/invitations/${pending.id}`), 403, 'COLORBOOK_OWNER_ONLY')
    expect((await call(app(), owner, 'DELETE', `/api/projects/${project.id}/invitations/${pending.id}`)).statusCode).toBe(204)
    expectError(await call(app(), owner, 'DELETE', `/api/projects/${project.id}/invitations/${pending.id}`), 404, 'NOT_FOUND')
    const newcomer = await registerUser(app(), { email })
    const message = await waitFor(async () => (await outbox(app(), email)).find((m) => /Confirm your e-mail/.test(m.subject)))
    expect((await app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: linkToken(message.text, '/verify-email') } })).statusCode).toBe(200)
    expectError(await call(app(), newcomer, 'GET', `/api/projects/${project.id}`), 404, 'NOT_FOUND')
    expect((await storedCollaborators(project.id)).map((c) => c.userId)).toEqual([ed.id])
  })

  it('applies the share when a password reset proves the address instead', async () => {
    const { owner, project } = await sharedProject()
    const email = uniqueEmail('resetter')
    expect((await call(app(), owner, 'POST', url(project.id), { email, role: 'viewer' })).statusCode).toBe(202)
    const newcomer = await registerUser(app(), { email })
    expect((await app().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email } })).statusCode).toBe(202)
    const message = await waitForMessage(app(), email, /Reset your password/)
    const reset = await app().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token: linkToken(message.text, '/reset-password'), password: 'another long passphrase' } })
    expect(reset.statusCode, reset.body).toBe(204)
    expect(await storedCollaborators(project.id)).toMatchObject([{ userId: newcomer.id, role: 'viewer' }])
  })
})
