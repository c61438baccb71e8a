import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addCylinders, archiveLocation, bringTo, createLocation, dayFromToday, getCylinder, moved, post, shipmentCount, type TestCylinder } from '../../../test/helpers/cylinders.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()
// Unique per run: the PostgreSQL database of a test run may already hold earlier runs' batches.
const refusedBatch = `refused-${randomUUID()}`
const scannerBatch = `scanner-7:${randomUUID()}`
const concurrentBatch = `concurrent-${randomUUID()}`
const codes = (cylinders: TestCylinder[]) => cylinders.map((c) => c.qrCode)

async function statuses(cylinders: TestCylinder[]): Promise<string[]> {
  const admin = await loginAs(app(), 'admin')
  return Promise.all(cylinders.map(async (c) => (await getCylinder(app(), admin, c.id)).status))
}

describe('the full cycle', () => {
  it('ships, returns, sends to refill and receives, recording each move', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const cylinders = await addCylinders(app(), admin, 2)
    const customer = await createLocation(app(), 'customer')
    const station = await createLocation(app(), 'refill_station')

    const ship = await moved(app(), worker, 'ship', { qrCodes: codes(cylinders), locationId: customer.id, notes: 'morning round' })
    expect(ship).toMatchObject({ type: 'ship', count: 2, locationId: customer.id, sentTo: null, workerId: worker.id, notes: 'morning round' })
    expect(ship.items.map((i) => [i.fromStatus, i.toStatus])).toEqual([['available', 'sent'], ['available', 'sent']])
    expect(await getCylinder(app(), worker, cylinders[0]!.id)).toMatchObject({ status: 'sent', locationId: customer.id, version: 2 })

    await moved(app(), worker, 'return', { cylinderIds: cylinders.map((c) => c.id) })
    expect(await getCylinder(app(), worker, cylinders[0]!.id)).toMatchObject({ status: 'returned', locationId: null, sentTo: null })
    await moved(app(), worker, 'refill/send', { qrCodes: codes(cylinders), locationId: station.id })
    expect(await getCylinder(app(), worker, cylinders[1]!.id)).toMatchObject({ status: 'in_refill', locationId: station.id })
    await moved(app(), worker, 'refill/receive', { qrCodes: codes(cylinders) })
    expect(await statuses(cylinders)).toEqual(['available', 'available'])

    const history = await app().inject({ url: `/api/cylinders/${cylinders[0]!.id}/history`, headers: worker.headers })
    expect(history.json<{ items: { type: string; actorId: string }[] }>().items.map((e) => e.type)).toEqual(['added', 'shipped', 'returned', 'refill_sent', 'refill_received'])
  })

  it('ships to a free-text destination (the seed’s sentTo)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const shipment = await moved(app(), admin, 'ship', { qrCodes: [cylinder!.qrCode], sentTo: '  Harbour Café  ' })
    expect(shipment).toMatchObject({ locationId: null, sentTo: 'Harbour Café' })
    expect(await getCylinder(app(), admin, cylinder!.id)).toMatchObject({ status: 'sent', sentTo: 'Harbour Café', locationId: null })
  })

  it('counts a code scanned twice in one batch once', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const shipment = await moved(app(), admin, 'ship', { qrCodes: [cylinder!.qrCode, cylinder!.qrCode], sentTo: 'Depot B' })
    expect(shipment.count).toBe(1)
  })
})

describe('all or nothing', () => {
  it('refuses the whole batch when one cylinder cannot move, listing every failing code, and changes nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const cylinders = await addCylinders(app(), admin, 4)
    await bringTo(app(), admin, cylinders[1]!, 'sent')
    await bringTo(app(), admin, cylinders[2]!, 'trashed')
    const before = await Promise.all(cylinders.map((c) => getCylinder(app(), admin, c.id)))
    const response = await post(app(), admin, 'ship', { qrCodes: [...codes(cylinders), 'CYL-NOSUCHCODE'], sentTo: 'Somewhere', clientBatchId: refusedBatch })
    const error = expectError(response, 409, 'CYLINDER_INVALID_TRANSITION')
    const failures = error.details.failures as { ref: string; status: string | null; reason: string; cylinderId: string | null }[]
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ref: cylinders[1]!.qrCode, cylinderId: cylinders[1]!.id, status: 'sent', reason: 'INVALID_STATUS' }),
        expect.objectContaining({ ref: cylinders[2]!.qrCode, status: 'trashed', reason: 'INVALID_STATUS' }),
        expect.objectContaining({ ref: 'CYL-NOSUCHCODE', cylinderId: null, status: null, reason: 'UNKNOWN_CODE' }),
      ]),
    )
    expect(failures).toHaveLength(3)
    const after = await Promise.all(cylinders.map((c) => getCylinder(app(), admin, c.id)))
    expect(after).toEqual(before)
    expect(await shipmentCount(app(), refusedBatch)).toBe(0)
  })

  it('reports a code replaced by a reprint as retired', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    expect((await post(app(), admin, 'reprint', { cylinderId: cylinder!.id })).statusCode).toBe(200)
    const error = expectError(await post(app(), admin, 'ship', { qrCodes: [cylinder!.qrCode], sentTo: 'X' }), 409, 'CYLINDER_INVALID_TRANSITION')
    expect(error.details.failures).toEqual([expect.objectContaining({ ref: cylinder!.qrCode, reason: 'RETIRED_CODE' })])
  })

  it.each([
    ['refill/send', 'returned'],
    ['refill/receive', 'in_refill'],
  ] as const)('refuses %s for a cylinder past its test date: 409 CYLINDER_TEST_OVERDUE', async (path, status) => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    await bringTo(app(), admin, cylinder!, status)
    const edited = await app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinder!.id}`, headers: admin.headers, payload: { version: (await getCylinder(app(), admin, cylinder!.id)).version, nextTestDue: dayFromToday(-1) } })
    expect(edited.statusCode, edited.body).toBe(200)
    const station = await createLocation(app(), 'refill_station')
    const destination = path === 'refill/send' ? { locationId: station.id } : {}
    const error = expectError(await post(app(), admin, path, { cylinderIds: [cylinder!.id], ...destination }), 409, 'CYLINDER_TEST_OVERDUE')
    expect(error.details.failures).toEqual([expect.objectContaining({ cylinderId: cylinder!.id, reason: 'TEST_OVERDUE', status })])
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe(status)
  })

  it('answers CYLINDER_INVALID_TRANSITION when an overdue test is not the only reason', async () => {
    const admin = await loginAs(app(), 'admin')
    const cylinders = await addCylinders(app(), admin, 2)
    await bringTo(app(), admin, cylinders[0]!, 'returned')
    const patched = await app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinders[0]!.id}`, headers: admin.headers, payload: { version: (await getCylinder(app(), admin, cylinders[0]!.id)).version, nextTestDue: dayFromToday(-3) } })
    expect(patched.statusCode).toBe(200)
    const error = expectError(await post(app(), admin, 'refill/send', { cylinderIds: cylinders.map((c) => c.id), sentTo: 'GasCo' }), 409, 'CYLINDER_INVALID_TRANSITION')
    expect((error.details.failures as { reason: string }[]).map((f) => f.reason).sort()).toEqual(['INVALID_STATUS', 'TEST_OVERDUE'])
  })

  it('refuses a destination on moves back to the depot (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    await bringTo(app(), admin, cylinder!, 'sent')
    const customer = await createLocation(app(), 'customer')
    expectError(await post(app(), admin, 'return', { cylinderIds: [cylinder!.id], locationId: customer.id }), 400, 'VALIDATION_FAILED')
    expectError(await post(app(), admin, 'return', { cylinderIds: [cylinder!.id], sentTo: 'somewhere' }), 400, 'VALIDATION_FAILED')
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe('sent')
  })

  it('tells how to bring a lost cylinder back when it is scanned for another move', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    await bringTo(app(), admin, cylinder!, 'lost')
    const error = expectError(await post(app(), admin, 'ship', { cylinderIds: [cylinder!.id], sentTo: 'X' }), 409, 'CYLINDER_INVALID_TRANSITION')
    expect(error.details.failures).toEqual([expect.objectContaining({ status: 'lost', message: expect.stringContaining('returned first') })])
  })

  it('refuses a wrong kind of location, an archived one and a missing one (422), and a ship with no destination (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const station = await createLocation(app(), 'refill_station')
    const ids = { cylinderIds: [cylinder!.id] }
    expectError(await post(app(), admin, 'ship', { ...ids, locationId: station.id }), 422, 'CYLINDER_LOCATION_INVALID')
    expectError(await post(app(), admin, 'ship', { ...ids, locationId: '01900000-0000-7000-8000-000000000000' }), 422, 'CYLINDER_LOCATION_INVALID')
    const customer = await createLocation(app(), 'customer')
    await archiveLocation(app(), customer.id)
    expectError(await post(app(), admin, 'ship', { ...ids, locationId: customer.id }), 422, 'CYLINDER_LOCATION_INVALID')
    expectError(await post(app(), admin, 'ship', ids), 400, 'VALIDATION_FAILED')
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe('available')
  })

  it.each([
    ['neither codes nor ids', {}],
    ['an empty list', { qrCodes: [] }],
    ['both codes and ids', { qrCodes: ['CYL-A'], cylinderIds: ['01900000-0000-7000-8000-000000000000'] }],
    ['a malformed id', { cylinderIds: ['not-a-uuid'] }],
    ['over 1,000 cylinders', { qrCodes: Array.from({ length: 1001 }, (_, i) => `CYL-${i}`) }],
    ['a scan time in the future', { qrCodes: ['CYL-A'], scannedAt: new Date(Date.now() + 3600_000).toISOString() }],
    ['a scan time over a week old', { qrCodes: ['CYL-A'], scannedAt: new Date(Date.now() - 8 * 86_400_000).toISOString() }],
    ['an unknown field', { qrCodes: ['CYL-A'], extra: true }],
  ])('answers 400 to %s', async (_what, body) => {
    const worker = await loginAs(app(), 'worker')
    expectError(await post(app(), worker, 'return', body), 400, 'VALIDATION_FAILED')
  })
})

describe('clientBatchId (offline scanners resend)', () => {
  it('returns the original shipment with 200 and moves nothing again', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const cylinders = await addCylinders(app(), admin, 3)
    const body = { qrCodes: codes(cylinders), sentTo: 'Customer A', clientBatchId: scannerBatch }
    const first = await post(app(), worker, 'ship', body)
    expect(first.statusCode).toBe(201)
    expect(first.headers['idempotent-replayed']).toBe('false')
    const again = await post(app(), worker, 'ship', { ...body, qrCodes: [...body.qrCodes].reverse() })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    expect(await shipmentCount(app(), scannerBatch)).toBe(1)
    const history = await app().inject({ url: `/api/cylinders/${cylinders[0]!.id}/history`, headers: worker.headers })
    expect(history.json<{ items: unknown[] }>().items).toHaveLength(2)
  })

  it('replays a resend whose scan time has since left the 7-day window', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const body = { cylinderIds: [cylinder!.id], sentTo: 'C', clientBatchId: `old-${randomUUID()}` }
    const first = await post(app(), admin, 'ship', { ...body, scannedAt: new Date(Date.now() - 6 * 86_400_000).toISOString() })
    expect(first.statusCode, first.body).toBe(201)
    const resent = await post(app(), admin, 'ship', { ...body, scannedAt: new Date(Date.now() - 9 * 86_400_000).toISOString() })
    expect(resent.statusCode, resent.body).toBe(200)
    expect(resent.json()).toEqual(first.json())
  })

  it('replays even after the cylinders moved on (the answer is the batch as it was)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const body = { cylinderIds: [cylinder!.id], sentTo: 'C', clientBatchId: 'late-resend' }
    const first = await post(app(), admin, 'ship', body)
    await moved(app(), admin, 'return', { cylinderIds: [cylinder!.id] })
    const again = await post(app(), admin, 'ship', body)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(first.json())
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe('returned')
  })

  it('refuses the same id with other cylinders (409 CYLINDER_BATCH_ID_REUSED); other workers have their own ids', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const cylinders = await addCylinders(app(), admin, 2)
    await moved(app(), worker, 'ship', { qrCodes: [cylinders[0]!.qrCode], sentTo: 'C', clientBatchId: 'shared-id' })
    expectError(await post(app(), worker, 'ship', { qrCodes: [cylinders[1]!.qrCode], sentTo: 'C', clientBatchId: 'shared-id' }), 409, 'CYLINDER_BATCH_ID_REUSED')
    expect((await getCylinder(app(), admin, cylinders[1]!.id)).status).toBe('available')
    await moved(app(), admin, 'ship', { qrCodes: [cylinders[1]!.qrCode], sentTo: 'C', clientBatchId: 'shared-id' })
  })

  it('moves once when the same batch arrives twice at the same time', async () => {
    const admin = await loginAs(app(), 'admin')
    const cylinders = await addCylinders(app(), admin, 5)
    const body = { qrCodes: codes(cylinders), sentTo: 'C', clientBatchId: concurrentBatch }
    const responses = await Promise.all([post(app(), admin, 'ship', body), post(app(), admin, 'ship', body)])
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 201])
    expect(responses[0].json()).toEqual(responses[1].json())
    expect(await shipmentCount(app(), concurrentBatch)).toBe(1)
  })
})

describe('who may move', () => {
  it('refuses anonymous callers (401) and accounts without cylinders:move (403)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const anonymous = await app().inject({ method: 'POST', url: '/api/cylinders/ship', payload: { cylinderIds: [cylinder!.id], sentTo: 'X' } })
    expectError(anonymous, 401, 'UNAUTHENTICATED')
    expectError(await post(app(), await loginAs(app(), 'user'), 'ship', { cylinderIds: [cylinder!.id], sentTo: 'X' }), 403, 'FORBIDDEN')
    expect((await getCylinder(app(), admin, cylinder!.id)).status).toBe('available')
  })
})
