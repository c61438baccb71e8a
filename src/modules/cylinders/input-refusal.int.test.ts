import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addCylinders, bringTo, createLocation, getCylinder, post, shipmentCount, uniqueSerial } from '../../../test/helpers/cylinders.js'
import { multipartBody } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'

// Input is refused, not guessed: a JSON body keeps its types (nothing is coerced), only JSON is a
// JSON body (415 otherwise), and a refused request moves or stores nothing.
const app = useTestApp()

/** Cylinders whose notes (or serial, code, gas type, owner) contain `text`. */
async function found(text: string): Promise<unknown[]> {
  const admin = await loginAs(app(), 'admin')
  const response = await app().inject({ url: `/api/cylinders?q=${encodeURIComponent(text)}`, headers: admin.headers })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ items: unknown[] }>().items
}

describe('JSON bodies are not coerced (cylinders)', () => {
  it('POST /api/cylinders/ship refuses a string for an array and a number for a string, moving nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const customer = await createLocation(app(), 'customer')
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ qrCodes: cylinder!.qrCode, sentTo: 'X' }, { qrCodes: 'must be array' }],
      [{ cylinderIds: cylinder!.id, locationId: customer.id }, { cylinderIds: 'must be array' }],
      [{ cylinderIds: [cylinder!.id], sentTo: 5 }, { sentTo: 'must be string' }],
      [{ cylinderIds: [cylinder!.id], sentTo: true }, { sentTo: 'must be string' }],
      [{ cylinderIds: [cylinder!.id], locationId: null }, { locationId: 'must be string' }],
      [{ qrCodes: [cylinder!.qrCode, 7], sentTo: 'X' }, { 'qrCodes.1': 'must be string' }],
    ]
    for (const [payload, details] of cases) {
      const clientBatchId = `coerce-${randomUUID()}`
      const error = expectError(await post(app(), admin, 'ship', { ...payload, clientBatchId }), 400, 'VALIDATION_FAILED')
      expect(error.details, JSON.stringify(payload)).toEqual(details)
      expect(await shipmentCount(app(), clientBatchId)).toBe(0)
    }
    expect(await getCylinder(app(), admin, cylinder!.id)).toMatchObject({ status: 'available', locationId: null, sentTo: null, version: cylinder!.version })
  })

  it('POST /api/cylinders/add refuses a boolean or number for a string, a string for a number and null, adding none of the batch', async () => {
    const admin = await loginAs(app(), 'admin')
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ serialNumber: true }, { 'cylinders.1.serialNumber': 'must be string' }],
      [{ serialNumber: 12345 }, { 'cylinders.1.serialNumber': 'must be string' }],
      [{ capacityLiters: '10' }, { 'cylinders.1.capacityLiters': 'must be number or null' }],
      [{ gasType: null }, { 'cylinders.1.gasType': 'must be string' }],
      [{ status: null }, { 'cylinders.1.status': 'must be "available", "returned" or "quarantined"' }],
      [{ nextTestDue: 20300101 }, { 'cylinders.1.nextTestDue': 'must be string or null' }],
    ]
    for (const [fields, details] of cases) {
      const marker = `coerce-${randomUUID()}`
      const valid = { serialNumber: uniqueSerial(), gasType: 'CO2', notes: marker }
      const refused = { serialNumber: uniqueSerial(), gasType: 'CO2', notes: marker, ...fields }
      const response = await app().inject({ method: 'POST', url: '/api/cylinders/add', headers: admin.headers, payload: { cylinders: [valid, refused] } })
      expect(expectError(response, 400, 'VALIDATION_FAILED').details, JSON.stringify(fields)).toEqual(details)
      expect(await found(marker)).toEqual([])
    }
    const response = await app().inject({ method: 'POST', url: '/api/cylinders/add', headers: admin.headers, payload: { cylinders: { serialNumber: uniqueSerial(), gasType: 'CO2' } } })
    expect(expectError(response, 400, 'VALIDATION_FAILED').details).toEqual({ cylinders: 'must be array' })
  })

  it('PATCH /api/cylinders/:id refuses a string for a number, changing nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin, 1, { capacityLiters: 50 })
    const edit = (payload: Record<string, unknown>) => app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinder!.id}`, headers: admin.headers, payload })
    expect(expectError(await edit({ version: String(cylinder!.version), notes: 'changed' }), 400, 'VALIDATION_FAILED').details).toEqual({ version: 'must be integer' })
    expect(expectError(await edit({ version: cylinder!.version, capacityLiters: '10' }), 400, 'VALIDATION_FAILED').details).toEqual({ capacityLiters: 'must be number or null' })
    expect(expectError(await edit({ version: cylinder!.version, owner: false }), 400, 'VALIDATION_FAILED').details).toEqual({ owner: 'must be string or null' })
    expect(await getCylinder(app(), admin, cylinder!.id)).toMatchObject({ capacityLiters: 50, notes: null, version: cylinder!.version })
  })

  it('POST /api/cylinders/labels.pdf refuses a string for the id list', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const response = await app().inject({ method: 'POST', url: '/api/cylinders/labels.pdf', headers: admin.headers, payload: { ids: cylinder!.id } })
    expect(expectError(response, 400, 'VALIDATION_FAILED').details).toEqual({ ids: 'must be array' })
  })

  it('query strings are still text to convert: ?limit=1 is a number', async () => {
    const admin = await loginAs(app(), 'admin')
    await addCylinders(app(), admin, 2)
    const page = await app().inject({ url: '/api/cylinders?limit=1', headers: admin.headers })
    expect(page.statusCode, page.body).toBe(200)
    expect(page.json()).toMatchObject({ items: [expect.objectContaining({ id: expect.any(String) })], nextCursor: expect.any(String) })
    expect(expectError(await app().inject({ url: '/api/cylinders?limit=1.5', headers: admin.headers }), 400, 'VALIDATION_FAILED').details).toEqual({ 'query.limit': 'must be integer' })
  })
})

describe('moves back to the depot name no destination', () => {
  it('return and refill receive refuse locationId and sentTo as unknown fields (400), moving nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const [sent, inRefill] = await addCylinders(app(), admin, 2)
    await bringTo(app(), admin, sent!, 'sent')
    await bringTo(app(), admin, inRefill!, 'in_refill')
    const customer = await createLocation(app(), 'customer')
    for (const [path, cylinder, status] of [['return', sent!, 'sent'], ['refill/receive', inRefill!, 'in_refill']] as const) {
      const ids = { cylinderIds: [cylinder.id] }
      expect(expectError(await post(app(), admin, path, { ...ids, locationId: customer.id }), 400, 'VALIDATION_FAILED').details).toEqual({ locationId: 'is not allowed' })
      expect(expectError(await post(app(), admin, path, { ...ids, sentTo: 'Somewhere' }), 400, 'VALIDATION_FAILED').details).toEqual({ sentTo: 'is not allowed' })
      expect((await getCylinder(app(), admin, cylinder.id)).status).toBe(status)
    }
  })

  it('the OpenAPI document says so: return and refill receive bodies have no locationId or sentTo; ship and refill send do', async () => {
    const response = await app().inject({ url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const doc = response.json<{ paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties?: boolean } }> } } }> }>()
    const body = (path: string) => doc.paths[path]!.post!.requestBody!.content['application/json']!.schema
    for (const path of ['/api/cylinders/return', '/api/cylinders/refill/receive']) {
      const schema = body(path)
      expect(Object.keys(schema.properties), path).not.toContain('locationId')
      expect(Object.keys(schema.properties), path).not.toContain('sentTo')
      expect(Object.keys(schema.properties), path).toEqual(expect.arrayContaining(['qrCodes', 'cylinderIds', 'clientBatchId', 'scannedAt', 'notes']))
      expect(schema.additionalProperties, path).toBe(false)
    }
    for (const path of ['/api/cylinders/ship', '/api/cylinders/refill/send']) {
      expect(Object.keys(body(path).properties), path).toEqual(expect.arrayContaining(['locationId', 'sentTo']))
    }
  })
})

describe('a body that is not JSON on a JSON route is 415 (cylinders)', () => {
  it('POST /api/cylinders/ship with text, a form or multipart moves nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const form = await multipartBody({ field: 'qrCodes', value: cylinder!.qrCode }, { field: 'sentTo', value: 'X' })
    const bodies: [string, string | Buffer][] = [
      ['text/plain', JSON.stringify({ qrCodes: [cylinder!.qrCode], sentTo: 'X' })],
      ['application/x-www-form-urlencoded', `qrCodes=${cylinder!.qrCode}&sentTo=X`],
      [form.headers['content-type']!, form.payload],
    ]
    for (const [contentType, payload] of bodies) {
      const response = await app().inject({ method: 'POST', url: '/api/cylinders/ship', headers: { ...admin.headers, 'content-type': contentType }, payload })
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
    }
    expect(await getCylinder(app(), admin, cylinder!.id)).toMatchObject({ status: 'available', version: cylinder!.version })
  })
})
