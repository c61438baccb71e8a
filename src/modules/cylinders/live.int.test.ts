import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, post } from '../../../test/helpers/cylinders.js'
import { expectError, useExtraApp } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

/**
 * With REDIS_URL the cylinders room is shared by every test worker's app (the Redis pass), so events
 * of other files' cylinders arrive too: a test takes its own, by actor, and the inventory change
 * that follows it. On one instance that change is the very next seq; across instances another
 * instance's event may come between.
 */
const sharedRoom = process.env.REDIS_URL !== undefined
const cylinderEvent = (socket: TestSocket, event: string, actorId: string) =>
  socket.next((m) => m.type === 'event' && m.room === 'cylinders' && m.event === event && (m.data as { actorId?: string } | undefined)?.actorId === actorId)
const inventoryAfter = (socket: TestSocket, cause: { event: string; seq: number }) =>
  socket.next(
    (m) =>
      m.type === 'event' &&
      m.room === 'cylinders' &&
      m.event === 'inventory.changed' &&
      (m.data as { cause?: string }).cause === cause.event &&
      (sharedRoom ? (m.seq as number) > cause.seq : m.seq === cause.seq + 1),
  )

async function follow(user: TestUser): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  return socket
}

describe('the cylinders room', () => {
  it('tells staff about each committed move, then how the inventory changed', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const socket = await follow(worker)
    expect(await socket.subscribe('cylinders')).toMatchObject({ type: 'subscribed', room: 'cylinders' })
    // Announced after the response, never before it is sent: wait for the add's two events.
    const cylinders = await addCylinders(app(), admin, 2)
    const added = await cylinderEvent(socket, 'cylinder.added', admin.id)
    expect(added).toMatchObject({ event: 'cylinder.added', data: { actorId: admin.id, count: 2 } })
    const addedInventory = await inventoryAfter(socket, { event: 'cylinder.added', seq: added.seq as number })
    expect(addedInventory).toMatchObject({ event: 'inventory.changed', data: { cause: 'cylinder.added', byStatus: { available: 2 } } })

    // A refused batch publishes nothing: the first event is the ship that commits.
    expectError(await post(app(), worker, 'return', { cylinderIds: [cylinders[0]!.id] }), 409, 'CYLINDER_INVALID_TRANSITION')
    const shipped = await post(app(), worker, 'ship', { cylinderIds: cylinders.map((c) => c.id), sentTo: 'Bistro' })
    expect(shipped.statusCode).toBe(201)
    const event = await cylinderEvent(socket, 'cylinder.shipped', worker.id)
    expect(event).toMatchObject({
      event: 'cylinder.shipped',
      data: { actorId: worker.id, shipmentId: shipped.json<{ id: string }>().id, cylinders: expect.arrayContaining([expect.objectContaining({ id: cylinders[0]!.id, status: 'sent' })]) },
    })
    const inventory = await inventoryAfter(socket, { event: 'cylinder.shipped', seq: event.seq as number })
    expect(inventory).toMatchObject({ event: 'inventory.changed', data: { cause: 'cylinder.shipped', byStatus: { available: -2, sent: 2 } } })
    // The refused return published nothing: no event of it came before the ship's.
    if (!sharedRoom) expect(event.seq).toBe((addedInventory.seq as number) + 1)
  })

  it('refuses accounts without cylinders:read', async () => {
    const socket = await follow(await loginAs(app(), 'user'))
    expect(await socket.subscribe('cylinders')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    expect(await socket.subscribe('cylinders:anything')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
  })
})

describe('scan rate limit', () => {
  const limited = useExtraApp({ env: { CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: '3' } })

  it('answers 429 with Retry-After past the limit, per account', async () => {
    const admin = await loginAs(limited(), 'admin')
    const worker = await loginAs(limited(), 'worker')
    const [cylinder] = await addCylinders(limited(), admin)
    const scan = (user: TestUser) => limited().inject({ url: `/api/cylinders/scan/${cylinder!.qrCode}`, headers: user.headers })
    for (let i = 0; i < 3; i++) expect((await scan(worker)).statusCode).toBe(200)
    const refused = await scan(worker)
    expectError(refused, 429, 'RATE_LIMITED')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    // Batch moves and quarantine scans count too; another account has its own budget.
    expectError(await post(limited(), worker, 'ship', { cylinderIds: [cylinder!.id], sentTo: 'X' }), 429, 'RATE_LIMITED')
    expectError(await post(limited(), worker, 'quarantine', { cylinderIds: [cylinder!.id], reason: 'leak' }), 429, 'RATE_LIMITED')
    expect((await scan(admin)).statusCode).toBe(200)
  })
})
