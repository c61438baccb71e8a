import type { AddressInfo } from 'node:net'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setChat } from '../../../test/helpers/chat.js'
import { TestSocket, type WsMessage } from '../../../test/helpers/ws-client.js'
import { TYPING_TIMEOUT_MS } from './typing.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let outsider: TestUser

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Typing' })
  bob = await registerUser(app(), { name: 'Bob Typing' })
  outsider = await registerUser(app(), { name: 'Outsider Typing' })
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

async function subscribed(user: TestUser, room: string): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })
  return socket
}

let refs = 0
function send(socket: TestSocket, frame: Record<string, unknown>): Promise<WsMessage> {
  const ref = `t${++refs}`
  socket.send({ type: 'send', ref, ...frame })
  return socket.next((m) => m.ref === ref)
}

const typing = (socket: TestSocket, room: string, event: string, timeoutMs?: number) => socket.next((m) => m.type === 'event' && m.room === room && m.event === event, timeoutMs)

describe('typing indicators', () => {
  it('reach the other participant as {userId} with no seq, and are never replayed', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const room = `chat:${chat.id}`
    const [from, to] = [await subscribed(ada, room), await subscribed(bob, room)]
    expect(await send(from, { room, event: 'typing.start' })).toMatchObject({ type: 'sent' })
    expect(await typing(to, room, 'typing.start')).toEqual({ type: 'event', room, event: 'typing.start', data: { userId: ada.id }, at: expect.stringMatching(/Z$/) })
    expect(await send(from, { room, event: 'typing.stop' })).toMatchObject({ type: 'sent' })
    expect((await typing(to, room, 'typing.stop')).data).toEqual({ userId: ada.id })

    // A message after them is seq 1: typing took no seq, and a late subscriber replays only the message.
    await sendMessage(app(), ada, chat.id, 'hello')
    const { port } = app().server.address() as AddressInfo
    const again = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, bob.headers)
    sockets.push(again)
    await again.ofType('ready')
    expect(await again.subscribe(room, 0)).toMatchObject({ type: 'subscribed', seq: 1 })
    const replayed = await again.next((m) => m.type === 'event' && m.room === room)
    expect(replayed).toMatchObject({ event: 'message.sent', seq: 1 })
    expect(again.messages.filter((m) => String(m.event).startsWith('typing.'))).toEqual([])
  })

  it('end by themselves with a typing.stop from the server after 6 s', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const room = `chat:${chat.id}`
    const [from, to] = [await subscribed(ada, room), await subscribed(bob, room)]
    await send(from, { room, event: 'typing.start' })
    await typing(to, room, 'typing.start')
    const started = Date.now()
    const stop = await typing(to, room, 'typing.stop', TYPING_TIMEOUT_MS + 3000)
    expect(stop).toMatchObject({ data: { userId: ada.id } })
    expect(stop.seq).toBeUndefined()
    expect(Date.now() - started).toBeGreaterThanOrEqual(TYPING_TIMEOUT_MS - 500)
  }, 15_000)

  it("end when the typist's message arrives", async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const room = `chat:${chat.id}`
    const [from, to] = [await subscribed(ada, room), await subscribed(bob, room)]
    await send(from, { room, event: 'typing.start' })
    await typing(to, room, 'typing.start')
    await sendMessage(app(), ada, chat.id, 'done typing')
    expect((await typing(to, room, 'typing.stop')).data).toEqual({ userId: ada.id })
  })

  it('are refused with FORBIDDEN from someone who may not post (a channel viewer, an archived chat), with data, or of another name', async () => {
    const channel = await createChat(app(), ada, { type: 'channel' })
    const channelRoom = `chat:${channel.id}`
    const watcher = await subscribed(ada, channelRoom)
    const viewer = await subscribed(outsider, channelRoom)
    expect(await send(viewer, { room: channelRoom, event: 'typing.start' })).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })

    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const room = `chat:${chat.id}`
    const [from, to] = [await subscribed(bob, room), await subscribed(ada, room)]
    expect(await send(from, { room, event: 'typing.start', data: { text: 'secret draft' } })).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    expect(await send(from, { room, event: 'message.sent' })).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    await setChat(app(), chat.id, { archived: true })
    expect(await send(from, { room, event: 'typing.start' })).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    await setChat(app(), chat.id, { archived: false })
    expect(await send(from, { room, event: 'typing.start' })).toMatchObject({ type: 'sent' })
    // The first delivery to reach the others is the accepted one: nothing refused got through.
    expect((await typing(to, room, 'typing.start')).data).toEqual({ userId: bob.id })
    expect(watcher.messages.filter((m) => m.type === 'event')).toEqual([])
  })
})
