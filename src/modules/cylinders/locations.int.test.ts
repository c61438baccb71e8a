import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, createLocationViaApi, moved, post, type TestLocation } from '../../../test/helpers/cylinders.js'

const app = useTestApp()
let admin: TestUser
let worker: TestUser
let user: TestUser

beforeAll(async () => {
  ;[admin, worker, user] = [await loginAs(app(), 'admin'), await loginAs(app(), 'worker'), await loginAs(app(), 'user')]
})

const URL = '/api/cylinders/locations'
const get = (as: TestUser | undefined, url: string) => app().inject({ url, ...(as ? { headers: as.headers } : {}) })
const patch = (id: string, payload: Record<string, unknown>) => app().inject({ method: 'PATCH', url: `${URL}/${id}`, headers: admin.headers, payload })
const remove = (id: string, as: TestUser = admin) => app().inject({ method: 'DELETE', url: `${URL}/${id}`, headers: as.headers })
/** A token that appears only in this test's names, so `q` isolates them on a shared database. */
const token = () => randomUUID().slice(0, 8)

describe('POST /api/cylinders/locations', () => {
  it('creates a location with defaults, trimmed texts and blank optionals stored as null', async () => {
    const name = `  Brewery ${token()}  `
    const response = await app().inject({
      method: 'POST',
      url: URL,
      headers: admin.headers,
      payload: { name, kind: 'customer', contactName: ' Ada ', phone: '+49 30 1234', email: 'ada@example.test', address: '  ', notes: null },
    })
    expect(response.statusCode, response.body).toBe(201)
    const location = response.json<TestLocation>()
    expect(location).toEqual({
      id: expect.any(String),
      name: name.trim(),
      kind: 'customer',
      contactName: 'Ada',
      phone: '+49 30 1234',
      email: 'ada@example.test',
      address: null,
      notes: null,
      active: true,
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
    })
    expect((await get(worker, `${URL}/${location.id}`)).json()).toEqual(location)
  })

  it('refuses a name taken in any case (409 LOCATION_NAME_TAKEN)', async () => {
    const first = await createLocationViaApi(app(), admin, { name: `Depot Süd ${token()}` })
    const response = await app().inject({ method: 'POST', url: URL, headers: admin.headers, payload: { name: ` ${first.name.toUpperCase()} `, kind: 'refill_station' } })
    expect(response.statusCode).toBe(409)
    expect(response.json().error).toMatchObject({ code: 'LOCATION_NAME_TAKEN', details: { name: first.name.toUpperCase() } })
  })

  it('validates the body and stores nothing', async () => {
    const name = `Invalid ${token()}`
    for (const payload of [{ name, kind: 'warehouse' }, { name: '   ', kind: 'customer' }, { name: 'x'.repeat(121), kind: 'customer' }, { name, kind: 'customer', email: 'not-mail' }, { kind: 'customer' }, { name, kind: 'customer', colour: 'red' }]) {
      const response = await app().inject({ method: 'POST', url: URL, headers: admin.headers, payload })
      expect(response.statusCode, JSON.stringify(payload)).toBe(400)
      expect(response.json().error.code).toBe('VALIDATION_FAILED')
    }
    expect((await get(admin, `${URL}?q=${encodeURIComponent(name)}`)).json().items).toEqual([])
  })
})

describe('access', () => {
  it('workers read locations but may not change them; users may not read; anonymous is 401', async () => {
    const location = await createLocationViaApi(app(), admin)
    expect((await get(worker, URL)).statusCode).toBe(200)
    expect((await get(worker, `${URL}/${location.id}`)).statusCode).toBe(200)
    const attempts = [
      app().inject({ method: 'POST', url: URL, headers: worker.headers, payload: { name: `W ${token()}`, kind: 'customer' } }),
      app().inject({ method: 'PATCH', url: `${URL}/${location.id}`, headers: worker.headers, payload: { version: 1, name: 'hijack' } }),
      remove(location.id, worker),
    ]
    for (const response of await Promise.all(attempts)) expect(response.json().error.code).toBe('FORBIDDEN')
    expect((await get(user, URL)).statusCode).toBe(403)
    expect((await get(undefined, URL)).statusCode).toBe(401)
    expect((await get(admin, `${URL}/${location.id}`)).json()).toMatchObject({ name: location.name, version: 1 })
  })
})

describe('GET /api/cylinders/locations', () => {
  it('wins over /api/cylinders/:id, which still serves cylinders', async () => {
    const response = await get(worker, URL)
    expect(response.statusCode, response.body).toBe(200)
    expect(Object.keys(response.json()).sort()).toEqual(['items', 'nextCursor'])
    expect(response.json().items).toEqual(expect.any(Array))
    const [cylinder] = await addCylinders(app(), admin)
    expect((await get(worker, `/api/cylinders/${cylinder!.id}`)).json()).toMatchObject({ id: cylinder!.id })
    expect((await get(worker, `${URL}/${cylinder!.id}`)).statusCode).toBe(404)
  })

  it('filters by kind, active and name, ignoring case and treating % literally', async () => {
    const t = token()
    const customer = await createLocationViaApi(app(), admin, { name: `Alpha ${t} Bakery`, kind: 'customer' })
    const station = await createLocationViaApi(app(), admin, { name: `Beta ${t} Gas`, kind: 'refill_station' })
    const archived = await createLocationViaApi(app(), admin, { name: `Gamma ${t} Closed`, kind: 'customer', active: false })
    const names = async (query: string) => (await get(worker, `${URL}?q=${t}&${query}`)).json<{ items: TestLocation[] }>().items.map((l) => l.name)
    expect(await names('')).toEqual([customer.name, station.name, archived.name])
    expect(await names('kind=customer')).toEqual([customer.name, archived.name])
    expect(await names('kind=refill_station')).toEqual([station.name])
    expect(await names('active=true')).toEqual([customer.name, station.name])
    expect(await names('active=false&kind=customer')).toEqual([archived.name])
    expect((await get(worker, `${URL}?q=${t.toUpperCase()}%20bakery`)).json().items.map((l: TestLocation) => l.id)).toEqual([customer.id])
    expect((await get(worker, `${URL}?q=%25${t}`)).json().items).toEqual([])
    expect((await get(worker, `${URL}?kind=depot`)).statusCode).toBe(400)
  })

  it('pages by name through every location exactly once', async () => {
    const t = token()
    const names = ['delta', 'Alpha', 'charlie', 'Echo', 'bravo', 'foxtrot', 'golf'].map((n) => `${n} ${t}`)
    for (const name of names) await createLocationViaApi(app(), admin, { name })
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const response = await get(worker, `${URL}?q=${t}&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(response.statusCode, response.body).toBe(200)
      const page = response.json<{ items: TestLocation[]; nextCursor: string | null }>()
      expect(page.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.items.map((l) => l.name))
      cursor = page.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())))
  })

  it('refuses a cursor of another list (400 INVALID_CURSOR)', async () => {
    const t = token()
    for (const name of ['a', 'b']) await createLocationViaApi(app(), admin, { name: `${name} ${t}` })
    const { nextCursor } = (await get(admin, `${URL}?q=${t}&limit=1`)).json()
    const cylinders = (await get(admin, '/api/cylinders?limit=1')).json()
    for (const cursor of ['garbage', cylinders.nextCursor ?? 'x', Buffer.from(JSON.stringify(['name', 'a', 'not-a-uuid'])).toString('base64url')]) {
      const response = await get(admin, `${URL}?cursor=${cursor}`)
      expect(response.statusCode, cursor).toBe(400)
      expect(response.json().error.code).toBe('INVALID_CURSOR')
    }
    expect((await get(admin, `${URL}?q=${t}&limit=1&cursor=${nextCursor}`)).json().items.map((l: TestLocation) => l.name)).toEqual([`b ${t}`])
  })

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await get(admin, `${URL}/${randomUUID()}`)).json().error.code).toBe('NOT_FOUND')
    expect((await get(admin, `${URL}/nope`)).statusCode).toBe(400)
  })
})

describe('PATCH /api/cylinders/locations/:id', () => {
  it('edits fields, clears one with null, and bumps the version; a no-op keeps it', async () => {
    const location = await createLocationViaApi(app(), admin, { phone: '123', notes: 'ring twice' })
    const response = await patch(location.id, { version: 1, name: `${location.name} GmbH`, phone: null, address: 'Hauptstr. 1' })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ name: `${location.name} GmbH`, phone: null, address: 'Hauptstr. 1', notes: 'ring twice', version: 2 })
    const same = await patch(location.id, { version: 2, address: 'Hauptstr. 1' })
    expect(same.json()).toMatchObject({ version: 2 })
    expect((await get(admin, `${URL}/${location.id}`)).json()).toMatchObject({ phone: null, version: 2 })
  })

  it('a stale version is 409 VERSION_CONFLICT with the current record, and changes nothing', async () => {
    const location = await createLocationViaApi(app(), admin)
    await patch(location.id, { version: 1, notes: 'first' })
    const stale = await patch(location.id, { version: 1, notes: 'lost update' })
    expect(stale.statusCode).toBe(409)
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { id: location.id, notes: 'first', version: 2 } } })
    expect((await get(admin, `${URL}/${location.id}`)).json()).toMatchObject({ notes: 'first', version: 2 })
  })

  it('refuses a name another location has (any case), allows changing only the case of its own', async () => {
    const [a, b] = [await createLocationViaApi(app(), admin), await createLocationViaApi(app(), admin)]
    const taken = await patch(b.id, { version: 1, name: a.name.toLowerCase() })
    expect(taken.json().error.code).toBe('LOCATION_NAME_TAKEN')
    expect((await patch(a.id, { version: 1, name: a.name.toUpperCase() })).json()).toMatchObject({ name: a.name.toUpperCase(), version: 2 })
  })

  it('validates the body: version required, no unknown fields; unknown id is 404', async () => {
    const location = await createLocationViaApi(app(), admin)
    expect((await patch(location.id, { name: 'No version' })).statusCode).toBe(400)
    expect((await patch(location.id, { version: 1, kind: 'depot' })).statusCode).toBe(400)
    expect((await patch(randomUUID(), { version: 1, notes: 'x' })).statusCode).toBe(404)
  })

  it('archiving stops new shipments there; reactivating allows them again', async () => {
    const location = await createLocationViaApi(app(), admin)
    const [cylinder] = await addCylinders(app(), admin)
    expect((await patch(location.id, { version: 1, active: false })).json()).toMatchObject({ active: false, version: 2 })
    const refused = await post(app(), worker, 'ship', { cylinderIds: [cylinder!.id], locationId: location.id })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.code).toBe('CYLINDER_LOCATION_INVALID')
    await patch(location.id, { version: 2, active: true })
    await moved(app(), worker, 'ship', { cylinderIds: [cylinder!.id], locationId: location.id })
  })

  it('refuses a kind change while cylinders are there (409 LOCATION_IN_USE)', async () => {
    const location = await createLocationViaApi(app(), admin)
    const [cylinder] = await addCylinders(app(), admin)
    await moved(app(), worker, 'ship', { cylinderIds: [cylinder!.id], locationId: location.id })
    const refused = await patch(location.id, { version: 1, kind: 'refill_station' })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error).toMatchObject({ code: 'LOCATION_IN_USE', details: { cylinders: 1 } })
    await moved(app(), worker, 'return', { cylinderIds: [cylinder!.id] })
    expect((await patch(location.id, { version: 1, kind: 'refill_station' })).json()).toMatchObject({ kind: 'refill_station', version: 2 })
  })
})

describe('DELETE /api/cylinders/locations/:id', () => {
  it('deletes a location nothing refers to (204), then it is gone', async () => {
    const location = await createLocationViaApi(app(), admin)
    const response = await remove(location.id)
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')
    expect((await get(admin, `${URL}/${location.id}`)).statusCode).toBe(404)
    expect((await remove(location.id)).statusCode).toBe(404)
  })

  it('refuses a location with cylinders or shipment history (409 LOCATION_IN_USE) and keeps it', async () => {
    const location = await createLocationViaApi(app(), admin)
    const [cylinder] = await addCylinders(app(), admin)
    await moved(app(), worker, 'ship', { cylinderIds: [cylinder!.id], locationId: location.id })
    const inUse = await remove(location.id)
    expect(inUse.statusCode).toBe(409)
    expect(inUse.json().error).toMatchObject({ code: 'LOCATION_IN_USE', message: expect.stringContaining('active: false'), details: { cylinders: 1, shipments: 1 } })

    // Back at the depot, the shipment still refers to it.
    await moved(app(), worker, 'return', { cylinderIds: [cylinder!.id] })
    const history = await remove(location.id)
    expect(history.json().error).toMatchObject({ code: 'LOCATION_IN_USE', details: { cylinders: 0, shipments: 1 } })
    expect((await get(admin, `${URL}/${location.id}`)).statusCode).toBe(200)
  })
})
