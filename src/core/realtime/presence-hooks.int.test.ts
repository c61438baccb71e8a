import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { captureLogs } from '../../../test/helpers/logs.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { createSignalsFixture } from '../../../test/fixtures/signals/index.js'

const signals = createSignalsFixture()
const listen = async (instance: FastifyInstance): Promise<void> => void (await instance.listen({ port: 0, host: '127.0.0.1' }))
const logs = captureLogs()
const app = useTestApp({ modules: [signals.module], setup: listen, env: { LOG_LEVEL: 'error' }, logStream: logs.stream })

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

async function ready(user: TestUser, instance: FastifyInstance = app()): Promise<TestSocket> {
  const { port } = instance.server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  return socket
}

async function close(socket: TestSocket): Promise<void> {
  socket.close()
  await socket.closed
}

describe('onPresenceChange', () => {
  it('is called once when a user’s first socket opens and once when their last one closes', async () => {
    const user = await loginAs(app())
    const first = await ready(user)
    await signals.called(user.id, true)
    const second = await ready(user)
    await close(first)
    // The second socket's own open and the first one's close are no transitions: a ping answered
    // on the second socket comes after both were handled.
    second.send({ type: 'ping', ref: 'p' })
    await second.next((m) => m.ref === 'p')
    expect(signals.callsFor(user.id)).toEqual(['0:online'])
    const offline = signals.called(user.id, false)
    await close(second)
    await offline
    await signals.heardBy(0, user.id, false)
    expect(signals.callsFor(user.id)).toEqual(['0:online', '0:offline'])
  })

  it('a hook that fails is logged; sockets and later changes carry on', async () => {
    const user = await loginAs(app())
    signals.failingUsers.add(user.id)
    const socket = await ready(user)
    await signals.called(user.id, true)
    socket.send({ type: 'ping', ref: 'still' })
    expect(await socket.next((m) => m.ref === 'still')).toEqual({ type: 'pong', ref: 'still' })
    const offline = signals.called(user.id, false)
    await close(socket)
    await offline
    expect(signals.callsFor(user.id)).toEqual(['0:online', '0:offline'])
    const logged = await logs.waitForLine((line) => line.msg === 'onPresenceChange failed' && line.userId === user.id && line.online === false)
    expect(logged).toMatchObject({ module: 'signals', err: { message: 'the fixture hook fails on purpose' } })
  })
})

describe.runIf(process.env.REDIS_URL)('onPresenceChange across two instances (Redis)', () => {
  let second: FastifyInstance | undefined
  beforeAll(async () => {
    second = await buildTestApp({ modules: [signals.module], setup: listen })
  })
  afterAll(() => second?.close())

  it('is called once in the cluster for the user’s first socket anywhere and once for the last, not once per instance', async () => {
    const user = await loginAs(app())
    const onA = await ready(user)
    await Promise.all([signals.called(user.id, true), signals.heardBy(0, user.id, true), signals.heardBy(1, user.id, true)])
    const onB = await ready(user, second)
    expect(signals.callsFor(user.id)).toEqual(['0:online'])

    await close(onA)
    // A's entry gone: B's socket alone keeps the user online.
    const redis = app().platform.redis!
    await expect.poll(() => redis.zcard(`plinth:presence:${user.id}`)).toBe(1)
    await close(onB)
    await Promise.all([signals.called(user.id, false), signals.heardBy(0, user.id, false), signals.heardBy(1, user.id, false)])
    expect(signals.callsFor(user.id)).toEqual(['0:online', '1:offline'])
  })
})
