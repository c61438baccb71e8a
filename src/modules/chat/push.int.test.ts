import { createDecipheriv, createECDH, hkdfSync, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import webpush from 'web-push'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setParticipant } from '../../../test/helpers/chat.js'
import { expectError, waitFor } from '../../../test/helpers/identity.js'
import { jobsWhere, setNotificationRead, setUserSettings, storedNotifications, storedPushSubscriptions } from '../../../test/helpers/chat-notify.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import type { ChatApi } from './api.js'
import { chatModule } from './index.js'
import type { NotificationView } from './notification.view.js'
import { pushJob } from './push.service.js'
import type { ChatSettings } from './settings.js'

const vapid = webpush.generateVAPIDKeys()

let api: ChatApi
const chat: ModuleDefinition<ChatApi, ChatSettings> = { ...chatModule, createApi: (ctx) => (api = chatModule.createApi(ctx)) }
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'chat' ? (chat as unknown as ModuleDefinition) : m)),
  env: { CHAT_VAPID_PUBLIC_KEY: vapid.publicKey, CHAT_VAPID_PRIVATE_KEY: vapid.privateKey, CHAT_VAPID_SUBJECT: 'mailto:push@example.test', JOBS_POLL_INTERVAL_MS: '500' },
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

/** A stand-in push service: records each push it receives and answers what the test says. */
interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
}
const received: Received[] = []
let answer = 201
let pushServer: Server
let pushBase: string
beforeAll(async () => {
  pushServer = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) })
      response.writeHead(answer).end()
    })
  })
  await new Promise<void>((resolve) => pushServer.listen(0, '127.0.0.1', resolve))
  pushBase = `http://127.0.0.1:${(pushServer.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => pushServer.close(() => resolve())))

/** A browser's push keys: the subscription it hands the server, and what decrypts a push (RFC 8291). */
function browser() {
  const ecdh = createECDH('prime256v1')
  const publicKey = ecdh.generateKeys()
  const auth = randomBytes(16)
  const endpoint = `${pushBase}/push/${randomUUID()}`
  return {
    endpoint,
    subscription: { endpoint, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } },
    decrypt(body: Buffer): unknown {
      const salt = body.subarray(0, 16)
      const idLength = body[20]!
      const serverKey = body.subarray(21, 21 + idLength)
      const ciphertext = body.subarray(21 + idLength)
      const secret = ecdh.computeSecret(serverKey)
      const ikm = Buffer.from(hkdfSync('sha256', secret, auth, Buffer.concat([Buffer.from('WebPush: info\0'), publicKey, serverKey]), 32))
      const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
      const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
      const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
      decipher.setAuthTag(ciphertext.subarray(-16))
      const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()])
      // The last record ends with the delimiter 0x02, then padding zeros.
      const end = plain.lastIndexOf(2)
      return JSON.parse(plain.subarray(0, end).toString('utf8'))
    },
  }
}

let ada: TestUser
let bob: TestUser
const tag = Math.random().toString(36).slice(2, 8)
beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Lovelace', username: `pada_${tag}` })
  bob = await registerUser(app(), { name: 'Bob Byte', username: `pbob_${tag}` })
})

const subscribe = (as: TestUser | undefined, payload: unknown, headers: Record<string, string> = {}) =>
  app().inject({ method: 'POST', url: '/api/push/subscriptions', headers: { ...(as?.headers ?? {}), ...headers }, payload: payload as string })
const unsubscribe = (as: TestUser | undefined, payload: unknown, headers: Record<string, string> = {}) =>
  app().inject({ method: 'DELETE', url: '/api/push/subscriptions', headers: { ...(as?.headers ?? {}), ...headers }, payload: payload as string })
const storedSubscription = async (endpoint: string) => (await storedPushSubscriptions(app(), endpoint))[0]
const pushJobsFor = (notificationId: string) => jobsWhere(app(), pushJob.name, (payload) => payload.notificationId === notificationId)
/** The notification a message gave `user`, once the hook that writes it (and queues its pushes) finished. */
async function notificationOf(user: TestUser, messageId: string) {
  await api.deps.hooks.settled()
  const rows = await storedNotifications(app(), user.id)
  return rows.find((row) => row.data.messageId === messageId)
}

const sockets: TestSocket[] = []
afterEach(() => {
  answer = 201
  for (const socket of sockets.splice(0)) socket.close()
})

describe('GET /api/push/vapid-public-key', () => {
  it('answers the key browsers subscribe with', async () => {
    const response = await app().inject({ url: '/api/push/vapid-public-key', headers: ada.headers })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ publicKey: vapid.publicKey })
    expect((await app().inject({ url: '/api/push/vapid-public-key' })).statusCode).toBe(401)
  })
})

describe('POST /api/push/subscriptions', () => {
  it('stores the browser’s subscription (201); again answers 200 with the new keys; another user signing in there takes it over', async () => {
    const b = browser()
    const created = await subscribe(ada, { ...b.subscription, expirationTime: null })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json()).toEqual({ id: expect.any(String), endpoint: b.endpoint, createdAt: expect.stringMatching(/Z$/) })
    expect(await storedSubscription(b.endpoint)).toMatchObject({ userId: ada.id, p256dh: b.subscription.keys.p256dh, auth: b.subscription.keys.auth })

    const newKeys = browser().subscription.keys
    const again = await subscribe(ada, { endpoint: b.endpoint, keys: newKeys })
    expect(again.statusCode).toBe(200)
    expect(again.json().id).toBe(created.json().id)
    expect(await storedSubscription(b.endpoint)).toMatchObject({ userId: ada.id, p256dh: newKeys.p256dh })

    expect((await subscribe(bob, { endpoint: b.endpoint, keys: newKeys })).statusCode).toBe(200)
    expect(await storedSubscription(b.endpoint)).toMatchObject({ userId: bob.id })
    expect(await storedPushSubscriptions(app(), b.endpoint)).toHaveLength(1)
  })

  it('refuses unknown fields, wrong types and missing keys (400) and stores nothing', async () => {
    const { subscription } = browser()
    expectError(await subscribe(ada, { ...subscription, extra: 1 }), 400, 'VALIDATION_FAILED')
    expectError(await subscribe(ada, { ...subscription, keys: { ...subscription.keys, extra: 'x' } }), 400, 'VALIDATION_FAILED')
    expectError(await subscribe(ada, { ...subscription, endpoint: 42 }), 400, 'VALIDATION_FAILED')
    expectError(await subscribe(ada, { endpoint: subscription.endpoint }), 400, 'VALIDATION_FAILED')
    expectError(await subscribe(ada, { ...subscription, keys: { p256dh: 'not base64!', auth: subscription.keys.auth } }), 400, 'VALIDATION_FAILED')
    expect(await storedSubscription(subscription.endpoint)).toBeUndefined()
  })

  it('refuses endpoints that are not a push service and malformed keys (400)', async () => {
    const { subscription } = browser()
    for (const endpoint of ['not a url', 'ftp://push.example/x', 'https://10.0.0.1/push', 'https://169.254.169.254/latest', 'http://push.example.com/x', 'https://user:pw@push.example.com/x']) {
      const error = expectError(await subscribe(ada, { ...subscription, endpoint }), 400, 'VALIDATION_FAILED')
      expect(Object.keys(error.details), endpoint).toContain('/endpoint')
      expect(await storedSubscription(endpoint)).toBeUndefined()
    }
    const short = expectError(await subscribe(ada, { ...subscription, keys: { p256dh: randomBytes(33).toString('base64url'), auth: randomBytes(8).toString('base64url') } }), 400, 'VALIDATION_FAILED')
    expect(short.details).toMatchObject({ '/keys/p256dh': expect.any(String), '/keys/auth': expect.any(String) })
    expect(await storedSubscription(subscription.endpoint)).toBeUndefined()
  })

  it('refuses a body that is not JSON (415) and anonymous callers (401)', async () => {
    const { subscription } = browser()
    expect((await subscribe(ada, JSON.stringify(subscription), { 'content-type': 'text/plain' })).statusCode).toBe(415)
    expect((await subscribe(undefined, subscription)).statusCode).toBe(401)
    expect(await storedSubscription(subscription.endpoint)).toBeUndefined()
  })
})

describe('DELETE /api/push/subscriptions', () => {
  it('deletes the caller’s subscription (204); again, or someone else’s, is 404 and keeps theirs', async () => {
    const mine = browser()
    const theirs = browser()
    await subscribe(ada, mine.subscription)
    await subscribe(bob, theirs.subscription)
    expect((await unsubscribe(ada, { endpoint: mine.endpoint })).statusCode).toBe(204)
    expect(await storedSubscription(mine.endpoint)).toBeUndefined()
    expectError(await unsubscribe(ada, { endpoint: mine.endpoint }), 404, 'PUSH_SUBSCRIPTION_NOT_FOUND')
    expectError(await unsubscribe(ada, { endpoint: theirs.endpoint }), 404, 'PUSH_SUBSCRIPTION_NOT_FOUND')
    expect(await storedSubscription(theirs.endpoint)).toMatchObject({ userId: bob.id })
  })

  it('refuses unknown fields, wrong types (400), a body that is not JSON (415), anonymous callers (401)', async () => {
    const b = browser()
    await subscribe(ada, b.subscription)
    expectError(await unsubscribe(ada, { endpoint: b.endpoint, extra: true }), 400, 'VALIDATION_FAILED')
    expectError(await unsubscribe(ada, { endpoint: 7 }), 400, 'VALIDATION_FAILED')
    expectError(await unsubscribe(ada, {}), 400, 'VALIDATION_FAILED')
    expect((await unsubscribe(ada, JSON.stringify({ endpoint: b.endpoint }), { 'content-type': 'text/plain' })).statusCode).toBe(415)
    expect((await unsubscribe(undefined, { endpoint: b.endpoint })).statusCode).toBe(401)
    expect(await storedSubscription(b.endpoint)).toMatchObject({ userId: ada.id })
  })
})

describe('pushing notifications', () => {
  async function subscribed(user: TestUser) {
    const b = browser()
    expect((await subscribe(user, b.subscription)).statusCode).toBe(201)
    return b
  }
  const pushesTo = (b: ReturnType<typeof browser>) => received.filter((push) => `${pushBase}${push.path}` === b.endpoint)

  it('pushes a mention to a user with no socket open, encrypted for their browser and signed with the VAPID key', async () => {
    const user = await registerUser(app(), { username: `pu_${tag}` })
    const b = await subscribed(user)
    const group = await createChat(app(), ada, { participantIds: [user.id], title: `Push ${tag}` })
    const message = await sendMessage(app(), ada, group.id, `@pu_${tag} look`)
    const row = (await notificationOf(user, message.id))!
    const [push] = await waitFor(async () => (pushesTo(b).length > 0 ? pushesTo(b) : undefined), 10_000)
    expect(push!.headers).toMatchObject({ 'content-encoding': 'aes128gcm', ttl: '86400', urgency: 'high', topic: row.id.replaceAll('-', '') })
    expect(push!.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`))
    const claims = JSON.parse(Buffer.from(push!.headers.authorization!.split(/[ .]/)[2]!, 'base64url').toString()) as Record<string, unknown>
    expect(claims).toMatchObject({ aud: pushBase, sub: 'mailto:push@example.test' })
    expect(b.decrypt(push!.body)).toEqual({
      id: row.id,
      type: 'mention',
      title: `Ada Lovelace mentioned you in #Push ${tag}`,
      body: `@pu_${tag} look`,
      data: { chatId: group.id, messageId: message.id, seq: message.seq },
      readAt: null,
      createdAt: row.createdAt.toISOString(),
    } satisfies NotificationView)
  })

  it('pushes a private message to each of the user’s browsers', async () => {
    const user = await registerUser(app())
    const [one, two] = [await subscribed(user), await subscribed(user)]
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [user.id] })
    const message = await sendMessage(app(), ada, dm.id, 'psst')
    const row = (await notificationOf(user, message.id))!
    expect(await pushJobsFor(row.id)).toHaveLength(2)
    await waitFor(async () => (pushesTo(one).length > 0 && pushesTo(two).length > 0 ? true : undefined), 10_000)
    expect(one.decrypt(pushesTo(one)[0]!.body)).toMatchObject({ id: row.id, type: 'message', body: 'psst' })
  })

  it('does not push to a user with a socket open, in quiet hours, for a muted chat, or for a plain group message', async () => {
    const online = await registerUser(app())
    const sleeper = await registerUser(app())
    const b1 = await subscribed(online)
    const b2 = await subscribed(sleeper)
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, online.headers)
    sockets.push(socket)
    await socket.ofType('ready')
    const hhmm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16)
    await setUserSettings(app(), sleeper.id, { quietHours: { start: hhmm(-3_600_000), end: hhmm(3_600_000), timeZone: 'UTC' } })

    const dmOnline = await createChat(app(), ada, { type: 'private', participantIds: [online.id] })
    const dmSleeper = await createChat(app(), ada, { type: 'private', participantIds: [sleeper.id] })
    const onlineRow = (await notificationOf(online, (await sendMessage(app(), ada, dmOnline.id, 'you are here')).id))!
    const sleeperRow = (await notificationOf(sleeper, (await sendMessage(app(), ada, dmSleeper.id, 'at night')).id))!
    expect(await pushJobsFor(onlineRow.id)).toEqual([])
    expect(await pushJobsFor(sleeperRow.id)).toEqual([])

    const muted = await registerUser(app())
    const b3 = await subscribed(muted)
    const dmMuted = await createChat(app(), ada, { type: 'private', participantIds: [muted.id] })
    await setParticipant(app(), dmMuted.id, muted.id, { mutedUntil: new Date(Date.now() + 3_600_000) })
    const group = await createChat(app(), ada, { participantIds: [muted.id] })
    expect(await notificationOf(muted, (await sendMessage(app(), ada, dmMuted.id, 'muted')).id)).toBeUndefined()
    expect(await notificationOf(muted, (await sendMessage(app(), ada, group.id, 'to all')).id)).toBeUndefined()
    expect([...pushesTo(b1), ...pushesTo(b2), ...pushesTo(b3)]).toEqual([])
  })

  it('the job pushes nothing once the notification was read; a gone subscription (410) is deleted; a failing push service (5xx) is retried', async () => {
    const user = await registerUser(app())
    await setUserSettings(app(), user.id, { quietHours: { start: hhmmNow(-60), end: hhmmNow(60), timeZone: 'UTC' } })
    const b = await subscribed(user)
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [user.id] })
    // Quiet hours keep the job from being queued: the test runs it itself.
    const row = (await notificationOf(user, (await sendMessage(app(), ada, dm.id, 'direct')).id))!
    const subscription = (await storedSubscription(b.endpoint))!
    const job = { signal: new AbortController().signal, log: app().log }

    answer = 503
    await expect(api.notify.push.deliver({ notificationId: row.id, subscriptionId: subscription.id }, job)).rejects.toThrow('push service answered 503')
    expect(pushesTo(b)).toHaveLength(1)
    expect(await storedSubscription(b.endpoint)).toBeDefined()

    answer = 410
    await api.notify.push.deliver({ notificationId: row.id, subscriptionId: subscription.id }, job)
    expect(pushesTo(b)).toHaveLength(2)
    expect(await storedSubscription(b.endpoint)).toBeUndefined()

    answer = 201
    const again = await subscribed(user)
    const renewed = (await storedSubscription(again.endpoint))!
    await setNotificationRead(app(), row.id, new Date())
    await api.notify.push.deliver({ notificationId: row.id, subscriptionId: renewed.id }, job)
    expect(pushesTo(again)).toEqual([])

    // Nor once its message was deleted.
    const deleted = await sendMessage(app(), ada, dm.id, 'deleted soon')
    const deletedRow = (await notificationOf(user, deleted.id))!
    expect((await app().inject({ method: 'DELETE', url: `/api/messages/${deleted.id}`, headers: ada.headers })).statusCode).toBe(200)
    await api.notify.push.deliver({ notificationId: deletedRow.id, subscriptionId: renewed.id }, job)
    expect(pushesTo(again)).toEqual([])
  })
})

function hhmmNow(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(11, 16)
}
