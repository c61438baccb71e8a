import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { DAY_MS, insertEvent, insertShipment, pastWindow, reportsRequest, setLocationSince } from '../../../test/helpers/cylinder-reports.js'
import { addCylinders, createLocation, dayFromToday, moved, post } from '../../../test/helpers/cylinders.js'
import type { Reports } from './reports.service.js'

const app = useTestApp()

async function reports(user: TestUser, query: Record<string, string | number> = {}): Promise<Reports> {
  const response = await reportsRequest(app(), user, query)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<Reports>()
}

const zero = { ship: 0, return: 0, refill_send: 0, refill_receive: 0 }
const ago = (days: number): string => new Date(Date.now() - days * DAY_MS).toISOString()

describe('activity', () => {
  it('counts cylinders per day by scan time, every day of the range present', async () => {
    const admin = await loginAs(app(), 'admin')
    const customer = await createLocation(app(), 'customer')
    const station = await createLocation(app(), 'refill_station')
    // Days before today: tests running beside this one (shared PostgreSQL) move cylinders today.
    const range = { from: dayFromToday(-6), to: dayFromToday(-3) }
    const before = await reports(admin, range)
    const cylinders = await addCylinders(app(), admin, 3)
    const ids = (n: number) => cylinders.slice(0, n).map((c) => c.id)
    await moved(app(), admin, 'ship', { cylinderIds: ids(3), locationId: customer.id, scannedAt: ago(6) })
    await moved(app(), admin, 'return', { cylinderIds: ids(2), scannedAt: ago(5) })
    await moved(app(), admin, 'refill/send', { cylinderIds: ids(1), locationId: station.id, scannedAt: ago(5) })
    await moved(app(), admin, 'refill/receive', { cylinderIds: ids(1), scannedAt: ago(4) })
    const after = await reports(admin, range)

    expect(after.activity.map((b) => b.bucketStart)).toEqual([6, 5, 4, 3].map((n) => dayFromToday(-n)))
    // The database is shared with other tests: compare with the counts before ours.
    const delta = after.activity.map((bucket, i) => ({
      bucketStart: bucket.bucketStart,
      ship: bucket.ship - before.activity[i]!.ship,
      return: bucket.return - before.activity[i]!.return,
      refill_send: bucket.refill_send - before.activity[i]!.refill_send,
      refill_receive: bucket.refill_receive - before.activity[i]!.refill_receive,
    }))
    expect(delta).toEqual([
      { bucketStart: dayFromToday(-6), ...zero, ship: 3 },
      { bucketStart: dayFromToday(-5), ...zero, return: 2, refill_send: 1 },
      { bucketStart: dayFromToday(-4), ...zero, refill_receive: 1 },
      { bucketStart: dayFromToday(-3), ...zero },
    ])
  })

  it('buckets by day or by ISO week (Monday), counting only batches inside the range', async () => {
    const admin = await loginAs(app(), 'admin')
    const [a, b, c] = await addCylinders(app(), admin, 3)
    const { day, at } = pastWindow() // day(0) is a Monday
    await insertShipment(app(), admin, 'ship', at(1, 12), [c!]) // before the range
    await insertShipment(app(), admin, 'ship', at(2, 10), [a!, b!])
    await insertShipment(app(), admin, 'return', at(7), [a!])
    await insertShipment(app(), admin, 'refill_send', at(13, 23.5), [a!])
    await insertShipment(app(), admin, 'ship', at(14), [c!]) // after the range

    const weeks = await reports(admin, { from: day(2), to: day(13), bucket: 'week' })
    expect(weeks).toMatchObject({ from: at(2), to: at(14), bucket: 'week' })
    expect(weeks.activity).toEqual([
      { bucketStart: day(0), ...zero, ship: 2 },
      { bucketStart: day(7), ...zero, return: 1, refill_send: 1 },
    ])

    const days = await reports(admin, { from: day(5), to: day(7) })
    expect(days.bucket).toBe('day')
    expect(days.activity).toEqual([
      { bucketStart: day(5), ...zero },
      { bucketStart: day(6), ...zero },
      { bucketStart: day(7), ...zero, return: 1 },
    ])
    // A date-time bound is exact: the return at midnight is left out of a range ending then.
    const exact = await reports(admin, { from: at(6), to: at(7) })
    expect(exact.activity).toEqual([{ bucketStart: day(6), ...zero }])
  })

  it('covers the last 30 days up to today by default', async () => {
    const admin = await loginAs(app(), 'admin')
    const body = await reports(admin)
    expect(body.from).toBe(`${dayFromToday(-29)}T00:00:00.000Z`)
    expect(body.activity.map((b) => b.bucketStart)).toEqual(Array.from({ length: 30 }, (_, i) => dayFromToday(i - 29)))
    expect(Date.parse(body.to)).toBeLessThanOrEqual(Date.now())
  })
})

describe('turnaround', () => {
  it('averages, per return or refill receipt in the range, the time since that cylinder’s previous ship or refill send', async () => {
    const admin = await loginAs(app(), 'admin')
    const [a, b, c, d] = await addCylinders(app(), admin, 4)
    const { day, at } = pastWindow()
    await insertEvent(app(), a!, 'shipped', at(-60))
    await insertEvent(app(), a!, 'returned', at(-56)) // before the range
    await insertEvent(app(), a!, 'shipped', at(-2)) // the previous ship: before the range is fine
    await insertEvent(app(), a!, 'returned', at(8)) // 240 h
    await insertEvent(app(), b!, 'shipped', at(7))
    await insertEvent(app(), b!, 'lost', at(7, 6))
    await insertEvent(app(), b!, 'found', at(7, 12)) // a lost one coming back is a return: 12 h
    await insertEvent(app(), c!, 'refill_sent', at(10))
    await insertEvent(app(), c!, 'refill_received', at(10, 6.5)) // 6.5 h
    await insertEvent(app(), c!, 'refill_sent', at(16))
    await insertEvent(app(), c!, 'refill_received', at(17)) // after the range (to is exclusive)
    await insertEvent(app(), d!, 'returned', at(11)) // no ship on record: left out

    const body = await reports(admin, { from: day(7), to: day(16) })
    expect(body.turnaround).toEqual({
      sentToReturned: { averageHours: 126, count: 2 },
      refillSendToReceive: { averageHours: 6.5, count: 1 },
    })
    const other = pastWindow()
    const empty = await reports(admin, { from: other.day(0), to: other.day(1) })
    expect(empty.turnaround).toEqual({ sentToReturned: { averageHours: null, count: 0 }, refillSendToReceive: { averageHours: null, count: 0 } })
  })
})

describe('holdings, overdue returns and tests due', () => {
  it('lists cylinders now sent per customer or free-text destination, most first', async () => {
    const admin = await loginAs(app(), 'admin')
    const customer = await createLocation(app(), 'customer')
    const sentTo = `Harbour site ${randomUUID().slice(0, 8)}`
    const cylinders = await addCylinders(app(), admin, 6)
    await moved(app(), admin, 'ship', { cylinderIds: cylinders.slice(0, 4).map((c) => c.id), locationId: customer.id })
    await moved(app(), admin, 'ship', { cylinderIds: cylinders.slice(4).map((c) => c.id), sentTo })
    await moved(app(), admin, 'return', { cylinderIds: [cylinders[0]!.id] })

    const { holdings } = await reports(admin)
    const atCustomer = holdings.findIndex((h) => h.locationId === customer.id)
    const atSite = holdings.findIndex((h) => h.sentTo === sentTo)
    expect(holdings[atCustomer]).toEqual({ locationId: customer.id, name: customer.name, sentTo: null, cylinders: 3 })
    expect(holdings[atSite]).toEqual({ locationId: null, name: null, sentTo, cylinders: 2 })
    expect(atCustomer).toBeLessThan(atSite)
    const counts = holdings.map((h) => h.cylinders)
    expect(counts).toEqual([...counts].sort((x, y) => y - x))
  })

  it('lists cylinders sent longer than `days` ago, oldest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const customer = await createLocation(app(), 'customer')
    const sentTo = `Quarry ${randomUUID().slice(0, 8)}`
    const [oldest, older, recent, elsewhere] = await addCylinders(app(), admin, 4)
    await moved(app(), admin, 'ship', { cylinderIds: [oldest!.id, older!.id, recent!.id], locationId: customer.id })
    await moved(app(), admin, 'ship', { cylinderIds: [elsewhere!.id], sentTo })
    // Years back, so these are the oldest in a shared database and inside the 500-row cap.
    const since = (days: number) => new Date(Date.now() - days * DAY_MS - 3_600_000)
    const oldestSince = since(3000)
    await setLocationSince(app(), oldest!, oldestSince)
    await setLocationSince(app(), elsewhere!, since(2995))
    await setLocationSince(app(), older!, since(2990))
    await setLocationSince(app(), recent!, since(10))

    const mine = (body: Reports) => body.overdueReturns.filter((o) => [oldest, older, recent, elsewhere].some((c) => c!.id === o.cylinderId))
    const all = mine(await reports(admin))
    expect(all.map((o) => [o.cylinderId, o.days])).toEqual([
      [oldest!.id, 3000],
      [elsewhere!.id, 2995],
      [older!.id, 2990],
    ])
    expect(all[0]).toEqual({
      cylinderId: oldest!.id,
      serialNumber: oldest!.serialNumber,
      qrCode: oldest!.qrCode,
      locationId: customer.id,
      locationName: customer.name,
      sentTo: null,
      since: oldestSince.toISOString(),
      days: 3000,
    })
    expect(all[1]).toMatchObject({ locationId: null, locationName: null, sentTo })
    expect(mine(await reports(admin, { days: 2993 })).map((o) => o.cylinderId)).toEqual([oldest!.id, elsewhere!.id])
    expect(mine(await reports(admin, { days: 5 })).map((o) => o.cylinderId)).toContain(recent!.id)
  })

  it('lists tests due by today + dueWithinDays, overdue included, trashed left out, soonest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const [overdue] = await addCylinders(app(), admin, 1, { nextTestDue: dayFromToday(-5000), status: 'quarantined' })
    const [trashed] = await addCylinders(app(), admin, 1, { nextTestDue: dayFromToday(-5000) })
    const [soon] = await addCylinders(app(), admin, 1, { nextTestDue: dayFromToday(10), gasType: 'O2' })
    const [later] = await addCylinders(app(), admin, 1, { nextTestDue: dayFromToday(40) })
    const [undated] = await addCylinders(app(), admin, 1, { nextTestDue: null })
    expect((await post(app(), admin, 'trash', { cylinderIds: [trashed!.id], reason: 'failed test' })).statusCode).toBe(200)

    const ids = [overdue, trashed, soon, later, undated].map((c) => c!.id)
    const mine = async (query: Record<string, number>) => (await reports(admin, query)).testsDue.filter((t) => ids.includes(t.cylinderId))
    const byDefault = await mine({})
    expect(byDefault).toEqual([
      { cylinderId: overdue!.id, serialNumber: overdue!.serialNumber, qrCode: overdue!.qrCode, gasType: 'CO2', status: 'quarantined', nextTestDue: dayFromToday(-5000) },
      { cylinderId: soon!.id, serialNumber: soon!.serialNumber, qrCode: soon!.qrCode, gasType: 'O2', status: 'available', nextTestDue: dayFromToday(10) },
    ])
    expect((await mine({ dueWithinDays: 45 })).map((t) => t.cylinderId)).toEqual([overdue!.id, soon!.id, later!.id])
    expect((await mine({ dueWithinDays: 0 })).map((t) => t.cylinderId)).toEqual([overdue!.id])
  })
})
