import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addCylinders, bringTo, dayFromToday, getCylinder, moved, post } from '../../../test/helpers/cylinders.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

async function lastEvent(id: string) {
  const admin = await loginAs(app(), 'admin')
  const history = await app().inject({ url: `/api/cylinders/${id}/history`, headers: admin.headers })
  return history.json<{ items: { type: string; reason: string | null; fromStatus: string; toStatus: string; actorId: string; data: unknown }[] }>().items.at(-1)
}

describe('quarantine and release', () => {
  it('lets a worker quarantine with a reason, and an admin release after a passed test with new test dates', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), admin)
    await bringTo(app(), admin, cylinder!, 'sent')
    const quarantined = await post(app(), worker, 'quarantine', { qrCodes: [cylinder!.qrCode], reason: 'valve leaking' })
    expect(quarantined.statusCode, quarantined.body).toBe(200)
    expect(quarantined.json()).toMatchObject({ items: [{ id: cylinder!.id, status: 'quarantined' }] })
    expect(await lastEvent(cylinder!.id)).toMatchObject({ type: 'quarantined', fromStatus: 'sent', toStatus: 'quarantined', reason: 'valve leaking', actorId: worker.id })

    expectError(await post(app(), worker, 'release', { cylinderIds: [cylinder!.id], lastTestOn: dayFromToday(0), nextTestDue: dayFromToday(1800) }), 403, 'FORBIDDEN')
    const released = await post(app(), admin, 'release', { cylinderIds: [cylinder!.id], lastTestOn: dayFromToday(0), nextTestDue: dayFromToday(1800) })
    expect(released.statusCode, released.body).toBe(200)
    expect(await getCylinder(app(), admin, cylinder!.id)).toMatchObject({ status: 'returned', locationId: null, lastTestOn: dayFromToday(0), nextTestDue: dayFromToday(1800) })
    expect(await lastEvent(cylinder!.id)).toMatchObject({ type: 'released', data: { lastTestOn: dayFromToday(0), nextTestDue: dayFromToday(1800) } })
  })

  it('refuses a quarantine without a reason, and a release with a next test date not after today', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    expectError(await post(app(), admin, 'quarantine', { cylinderIds: [cylinder!.id] }), 400, 'VALIDATION_FAILED')
    expectError(await post(app(), admin, 'quarantine', { cylinderIds: [cylinder!.id], reason: '   ' }), 400, 'VALIDATION_FAILED')
    await bringTo(app(), admin, cylinder!, 'quarantined')
    const error = expectError(await post(app(), admin, 'release', { cylinderIds: [cylinder!.id], lastTestOn: dayFromToday(1), nextTestDue: dayFromToday(0) }), 400, 'VALIDATION_FAILED')
    expect(error.details).toMatchObject({ lastTestOn: expect.any(String), nextTestDue: expect.any(String) })
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe('quarantined')
  })

  it('refuses to release a cylinder that is not quarantined (409, all or nothing)', async () => {
    const admin = await loginAs(app(), 'admin')
    const cylinders = await addCylinders(app(), admin, 2)
    await bringTo(app(), admin, cylinders[0]!, 'quarantined')
    const error = expectError(await post(app(), admin, 'release', { cylinderIds: cylinders.map((c) => c.id), lastTestOn: dayFromToday(0), nextTestDue: dayFromToday(365) }), 409, 'CYLINDER_INVALID_TRANSITION')
    expect(error.details.failures).toEqual([expect.objectContaining({ cylinderId: cylinders[1]!.id, status: 'available' })])
    expect((await getCylinder(app(), admin, cylinders[0]!.id)).status).toBe('quarantined')
  })
})

describe('lost and found', () => {
  it('marks a sent cylinder lost (admin), and a return batch finds it', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), admin)
    await bringTo(app(), admin, cylinder!, 'sent')
    expectError(await post(app(), worker, 'lost', { cylinderIds: [cylinder!.id] }), 403, 'FORBIDDEN')
    expect((await post(app(), admin, 'lost', { cylinderIds: [cylinder!.id], reason: 'customer cannot find it' })).statusCode).toBe(200)
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe('lost')

    const shipment = await moved(app(), worker, 'return', { qrCodes: [cylinder!.qrCode] })
    expect(shipment.items).toEqual([expect.objectContaining({ fromStatus: 'lost', toStatus: 'returned' })])
    expect(await lastEvent(cylinder!.id)).toMatchObject({ type: 'found', fromStatus: 'lost', toStatus: 'returned' })
  })

  it('refuses to mark a cylinder at the depot lost', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    expectError(await post(app(), admin, 'lost', { cylinderIds: [cylinder!.id] }), 409, 'CYLINDER_INVALID_TRANSITION')
  })
})

describe('trash', () => {
  it('is admin-only, needs a reason, and is final', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), admin)
    expectError(await post(app(), worker, 'trash', { cylinderIds: [cylinder!.id], reason: 'rusty' }), 403, 'FORBIDDEN')
    expectError(await post(app(), admin, 'trash', { cylinderIds: [cylinder!.id] }), 400, 'VALIDATION_FAILED')
    const trashed = await post(app(), admin, 'trash', { qrCodes: [cylinder!.qrCode], reason: 'rusty' })
    expect(trashed.statusCode, trashed.body).toBe(200)
    expect(await lastEvent(cylinder!.id)).toMatchObject({ type: 'trashed', reason: 'rusty', fromStatus: 'available' })
    expectError(await post(app(), admin, 'trash', { cylinderIds: [cylinder!.id], reason: 'again' }), 409, 'CYLINDER_INVALID_TRANSITION')
    expectError(await post(app(), admin, 'ship', { cylinderIds: [cylinder!.id], sentTo: 'X' }), 409, 'CYLINDER_INVALID_TRANSITION')
    expectError(await post(app(), admin, 'quarantine', { cylinderIds: [cylinder!.id], reason: 'x' }), 409, 'CYLINDER_INVALID_TRANSITION')
    expectError(await post(app(), admin, 'reprint', { cylinderId: cylinder!.id }), 409, 'CYLINDER_INVALID_TRANSITION')
    const edit = await app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinder!.id}`, headers: admin.headers, payload: { version: 2, notes: 'x' } })
    expectError(edit, 409, 'CYLINDER_INVALID_TRANSITION')
  })
})
