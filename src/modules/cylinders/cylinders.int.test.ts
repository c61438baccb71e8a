import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addCylinders, bringTo, createLocation, dayFromToday, getCylinder, moved, post, uniqueSerial, type TestCylinder } from '../../../test/helpers/cylinders.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

describe('POST /api/cylinders/add', () => {
  it('adds cylinders with unguessable, distinct QR codes (never the id or serial)', async () => {
    const admin = await loginAs(app(), 'admin')
    const serial = uniqueSerial('CO2')
    const response = await app().inject({
      method: 'POST',
      url: '/api/cylinders/add',
      headers: admin.headers,
      payload: { cylinders: [{ serialNumber: serial, gasType: 'CO2', capacityLiters: 10.5, owner: 'Depot', manufacturedOn: '2020-01-31', lastTestOn: '2025-01-10', nextTestDue: '2030-01-10', notes: 'new' }, { serialNumber: uniqueSerial(), gasType: 'O2' }] },
    })
    expect(response.statusCode, response.body).toBe(201)
    const [first, second] = response.json<{ items: TestCylinder[] }>().items
    expect(first).toEqual({
      id: expect.any(String),
      serialNumber: serial,
      qrCode: expect.stringMatching(/^CYL-[0-9A-Z]{26}$/),
      status: 'available',
      gasType: 'CO2',
      capacityLiters: 10.5,
      owner: 'Depot',
      manufacturedOn: '2020-01-31',
      lastTestOn: '2025-01-10',
      nextTestDue: '2030-01-10',
      locationId: null,
      sentTo: null,
      locationSince: expect.stringMatching(/Z$/),
      notes: 'new',
      version: 1,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    })
    expect(second!.qrCode).not.toBe(first!.qrCode)
    expect(first!.qrCode).not.toContain(first!.id)
    expect(first!.qrCode).not.toContain(serial)
  })

  it('adds all or none: a serial number in use, or repeated in the request, refuses every cylinder (409)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [existing] = await addCylinders(app(), admin)
    const fresh = uniqueSerial()
    const taken = await app().inject({ method: 'POST', url: '/api/cylinders/add', headers: admin.headers, payload: { cylinders: [{ serialNumber: fresh, gasType: 'O2' }, { serialNumber: existing!.serialNumber.toLowerCase(), gasType: 'O2' }] } })
    expect(expectError(taken, 409, 'CYLINDER_SERIAL_TAKEN').details).toEqual({ taken: [existing!.serialNumber], repeated: [] })
    const repeated = await app().inject({ method: 'POST', url: '/api/cylinders/add', headers: admin.headers, payload: { cylinders: [{ serialNumber: fresh, gasType: 'O2' }, { serialNumber: fresh, gasType: 'O2' }] } })
    expect(expectError(repeated, 409, 'CYLINDER_SERIAL_TAKEN').details).toEqual({ taken: [], repeated: [fresh] })
    const list = await app().inject({ url: `/api/cylinders?q=${fresh}`, headers: admin.headers })
    expect(list.json()).toEqual({ items: [], nextCursor: null })
  })

  it.each([
    ['no cylinders', { cylinders: [] }],
    ['a blank serial number', { cylinders: [{ serialNumber: '   ', gasType: 'O2' }] }],
    ['no gas type', { cylinders: [{ serialNumber: 'S-1' }] }],
    ['a negative capacity', { cylinders: [{ serialNumber: 'S-1', gasType: 'O2', capacityLiters: -1 }] }],
    ['a malformed date', { cylinders: [{ serialNumber: 'S-1', gasType: 'O2', nextTestDue: '31/12/2030' }] }],
    ['a status that is not at the depot', { cylinders: [{ serialNumber: 'S-1', gasType: 'O2', status: 'sent' }] }],
    ['a QR code chosen by the client', { cylinders: [{ serialNumber: 'S-1', gasType: 'O2', qrCode: 'CYL-MINE' }] }],
  ])('answers 400 to %s', async (_what, payload) => {
    const admin = await loginAs(app(), 'admin')
    expectError(await app().inject({ method: 'POST', url: '/api/cylinders/add', headers: admin.headers, payload }), 400, 'VALIDATION_FAILED')
  })

  it('is for admins: a worker gets 403', async () => {
    const worker = await loginAs(app(), 'worker')
    expectError(await app().inject({ method: 'POST', url: '/api/cylinders/add', headers: worker.headers, payload: { cylinders: [{ serialNumber: 'S', gasType: 'O2' }] } }), 403, 'FORBIDDEN')
  })
})

describe('scanning and reading', () => {
  it('finds a cylinder by its code; 404 for a code never issued; plain users may not read (403)', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), admin)
    const scanned = await app().inject({ url: `/api/cylinders/scan/${cylinder!.qrCode}`, headers: worker.headers })
    expect(scanned.statusCode).toBe(200)
    expect(scanned.json()).toEqual(cylinder)
    expectError(await app().inject({ url: '/api/cylinders/scan/CYL-NEVERISSUED', headers: worker.headers }), 404, 'NOT_FOUND')
    const user = await loginAs(app(), 'user')
    expectError(await app().inject({ url: `/api/cylinders/scan/${cylinder!.qrCode}`, headers: user.headers }), 403, 'FORBIDDEN')
    expectError(await app().inject({ url: `/api/cylinders/${cylinder!.id}`, headers: user.headers }), 403, 'FORBIDDEN')
    expectError(await app().inject({ url: `/api/cylinders/${cylinder!.id}` }), 401, 'UNAUTHENTICATED')
    expectError(await app().inject({ url: `/api/cylinders/${randomUUID()}`, headers: worker.headers }), 404, 'NOT_FOUND')
  })

  it('lists with filters (status, location, gas type, test due before, text) and pages without repeats', async () => {
    const admin = await loginAs(app(), 'admin')
    const gasType = `Gas-${randomUUID().slice(0, 6)}`
    const cylinders = await addCylinders(app(), admin, 5, { gasType })
    const customer = await createLocation(app(), 'customer')
    await moved(app(), admin, 'ship', { cylinderIds: [cylinders[0]!.id, cylinders[1]!.id], locationId: customer.id })
    const edited = await app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinders[4]!.id}`, headers: admin.headers, payload: { version: 1, nextTestDue: dayFromToday(10) } })
    expect(edited.statusCode).toBe(200)
    const ids = async (query: string) => (await app().inject({ url: `/api/cylinders?gasType=${gasType.toLowerCase()}&${query}`, headers: admin.headers })).json<{ items: TestCylinder[] }>().items.map((c) => c.id)
    expect(await ids('status=sent')).toEqual([cylinders[1]!.id, cylinders[0]!.id])
    expect(await ids(`locationId=${customer.id}`)).toHaveLength(2)
    expect(await ids(`testDueBefore=${dayFromToday(30)}`)).toEqual([cylinders[4]!.id])
    expect(await ids(`q=${cylinders[2]!.serialNumber.slice(3)}`)).toEqual([cylinders[2]!.id])
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: TestCylinder[]; nextCursor: string | null } = (await app().inject({ url: `/api/cylinders?gasType=${gasType}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin.headers })).json<{ items: TestCylinder[]; nextCursor: string | null }>()
      seen.push(...page.items.map((c) => c.id))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toEqual(cylinders.map((c) => c.id).reverse())
    expectError(await app().inject({ url: '/api/cylinders?status=full', headers: admin.headers }), 400, 'VALIDATION_FAILED')
    expectError(await app().inject({ url: '/api/cylinders?cursor=nonsense', headers: admin.headers }), 400, 'INVALID_CURSOR')
    // Well-formed but forged: the position is not a row id.
    const forged = Buffer.from(JSON.stringify(['-id', null, 'x'])).toString('base64url')
    expectError(await app().inject({ url: `/api/cylinders?cursor=${forged}`, headers: admin.headers }), 400, 'INVALID_CURSOR')
    const forgedHistory = Buffer.from(JSON.stringify(['at', 'not a time', cylinders[0]!.id])).toString('base64url')
    expectError(await app().inject({ url: `/api/cylinders/${cylinders[0]!.id}/history?cursor=${forgedHistory}`, headers: admin.headers }), 400, 'INVALID_CURSOR')
  })

  it('matches a QR code in the text search only whole, so codes cannot be guessed piece by piece', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const search = async (q: string) => (await app().inject({ url: `/api/cylinders?q=${encodeURIComponent(q)}`, headers: admin.headers })).json<{ items: TestCylinder[] }>().items.map((c) => c.id)
    expect(await search(cylinder!.qrCode)).toEqual([cylinder!.id])
    expect(await search(cylinder!.qrCode.slice(0, 12))).toEqual([])
  })
})

describe('reprint', () => {
  it('issues a new code; the old one answers 410 and the history keeps it', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const response = await post(app(), admin, 'reprint', { cylinderId: cylinder!.id, reason: 'label torn' })
    expect(response.statusCode, response.body).toBe(200)
    const reprinted = response.json<TestCylinder>()
    expect(reprinted.qrCode).not.toBe(cylinder!.qrCode)
    expect(reprinted.status).toBe(cylinder!.status)
    expectError(await app().inject({ url: `/api/cylinders/scan/${cylinder!.qrCode}`, headers: admin.headers }), 410, 'CYLINDER_QR_RETIRED')
    expect((await app().inject({ url: `/api/cylinders/scan/${reprinted.qrCode}`, headers: admin.headers })).json()).toMatchObject({ id: cylinder!.id })
    const history = (await app().inject({ url: `/api/cylinders/${cylinder!.id}/history`, headers: admin.headers })).json<{ items: { type: string; reason: string; data: unknown }[] }>()
    expect(history.items.at(-1)).toMatchObject({ type: 'reprinted', reason: 'label torn', data: { retiredCode: cylinder!.qrCode } })
    expectError(await post(app(), await loginAs(app(), 'worker'), 'reprint', { cylinderId: cylinder!.id }), 403, 'FORBIDDEN')
    expectError(await post(app(), admin, 'reprint', { cylinderId: randomUUID() }), 404, 'NOT_FOUND')
  })
})

describe('PATCH /api/cylinders/:id', () => {
  it('edits details at the right version and records what changed; a stale version gets 409 with the current record', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const patch = (payload: Record<string, unknown>) => app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinder!.id}`, headers: admin.headers, payload })
    const edited = await patch({ version: 1, gasType: 'Argon', notes: 'repainted' })
    expect(edited.statusCode, edited.body).toBe(200)
    expect(edited.json()).toMatchObject({ gasType: 'Argon', notes: 'repainted', version: 2, status: 'available' })
    const stale = expectError(await patch({ version: 1, gasType: 'O2' }), 409, 'VERSION_CONFLICT')
    expect(stale.details.current).toMatchObject({ gasType: 'Argon', version: 2 })
    expectError(await patch({ version: 2, status: 'trashed' }), 400, 'VALIDATION_FAILED')
    const history = (await app().inject({ url: `/api/cylinders/${cylinder!.id}/history`, headers: admin.headers })).json<{ items: { type: string; data: unknown }[] }>()
    expect(history.items.at(-1)).toMatchObject({ type: 'edited', data: { gasType: ['CO2', 'Argon'], notes: [null, 'repainted'] } })
    expect((await getCylinder(app(), admin, cylinder!.id)).gasType).toBe('Argon')
  })

  it('refuses a serial number another cylinder has (409) and workers (403)', async () => {
    const admin = await loginAs(app(), 'admin')
    const [a, b] = await addCylinders(app(), admin, 2)
    expectError(await app().inject({ method: 'PATCH', url: `/api/cylinders/${a!.id}`, headers: admin.headers, payload: { version: 1, serialNumber: b!.serialNumber } }), 409, 'CYLINDER_SERIAL_TAKEN')
    const worker = await loginAs(app(), 'worker')
    expectError(await app().inject({ method: 'PATCH', url: `/api/cylinders/${a!.id}`, headers: worker.headers, payload: { version: 1, notes: 'x' } }), 403, 'FORBIDDEN')
  })
})

describe('history', () => {
  it('pages through every event oldest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    await bringTo(app(), admin, cylinder!, 'in_refill')
    const types: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: { type: string }[]; nextCursor: string | null } = (await app().inject({ url: `/api/cylinders/${cylinder!.id}/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin.headers })).json<{ items: { type: string }[]; nextCursor: string | null }>()
      types.push(...page.items.map((e) => e.type))
      cursor = page.nextCursor
    } while (cursor)
    expect(types).toEqual(['added', 'shipped', 'returned', 'refill_sent'])
    expectError(await app().inject({ url: `/api/cylinders/${randomUUID()}/history`, headers: admin.headers }), 404, 'NOT_FOUND')
  })
})

describe('data export', () => {
  it('lists the batches a worker scanned in their export', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), admin)
    const shipment = await moved(app(), worker, 'ship', { cylinderIds: [cylinder!.id], sentTo: 'Kiosk', clientBatchId: 'export-1' })
    const exported = await app().inject({ url: `/api/users/${worker.id}/export`, headers: worker.headers })
    expect(exported.statusCode, exported.body).toBe(200)
    expect(exported.json<{ modules: Record<string, unknown> }>().modules.cylinders).toEqual({
      shipments: [{ id: shipment.id, type: 'ship', locationId: null, sentTo: 'Kiosk', workerId: worker.id, clientBatchId: 'export-1', scannedAt: shipment.scannedAt, notes: null, count: 1, createdAt: shipment.createdAt }],
    })
  })
})
