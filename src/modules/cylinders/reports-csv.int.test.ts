import { randomUUID } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { insertShipment, pastWindow, reportsRequest } from '../../../test/helpers/cylinder-reports.js'
import { addCylinders, createLocation, dayFromToday, moved } from '../../../test/helpers/cylinders.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

const rowsOf = (body: string): string[][] => parse(body)

describe('CSV downloads', () => {
  it('answers one report as a text/csv attachment named after the report and its days', async () => {
    const admin = await loginAs(app(), 'admin')
    const [a, b] = await addCylinders(app(), admin, 2)
    const { day, at } = pastWindow()
    await insertShipment(app(), admin, 'ship', at(0, 8), [a!, b!])
    await insertShipment(app(), admin, 'return', at(2, 8), [a!])

    const response = await reportsRequest(app(), admin, { format: 'csv', report: 'activity', from: day(0), to: day(2) })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(response.headers['content-disposition']).toBe(`attachment; filename="activity-${day(0)}-${day(2)}.csv"`)
    expect(response.body).toBe(['bucketStart,ship,return,refill_send,refill_receive', `${day(0)},2,0,0,0`, `${day(1)},0,0,0,0`, `${day(2)},0,1,0,0`, ''].join('\r\n'))
  })

  it('writes turnaround as one row per measure, empty when there is none', async () => {
    const admin = await loginAs(app(), 'admin')
    const { day, at } = pastWindow()
    const response = await reportsRequest(app(), admin, { format: 'csv', report: 'turnaround', from: at(0), to: at(1, 12) })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-disposition']).toBe(`attachment; filename="turnaround-${day(0)}-${day(1)}.csv"`)
    expect(rowsOf(response.body)).toEqual([
      ['measure', 'averageHours', 'count'],
      ['sentToReturned', '', '0'],
      ['refillSendToReceive', '', '0'],
    ])
  })

  it('keeps names that look like formulas as text (CSV injection)', async () => {
    const admin = await loginAs(app(), 'admin')
    const tag = randomUUID().slice(0, 8)
    const evil = await createLocation(app(), 'customer', `=HYPERLINK("http://evil.example/${tag}","Invoice")`)
    const destinations = [`+SUM(1;2) ${tag}`, `-2+3 ${tag}`, `@cmd ${tag}`]
    const cylinders = await addCylinders(app(), admin, 4)
    await moved(app(), admin, 'ship', { cylinderIds: [cylinders[0]!.id], locationId: evil.id })
    for (const [i, sentTo] of destinations.entries()) await moved(app(), admin, 'ship', { cylinderIds: [cylinders[i + 1]!.id], sentTo })

    const response = await reportsRequest(app(), admin, { format: 'csv', report: 'holdings' })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-disposition']).toBe(`attachment; filename="holdings-${dayFromToday(-29)}-${dayFromToday(0)}.csv"`)
    const [header, ...rows] = rowsOf(response.body)
    expect(header).toEqual(['locationId', 'name', 'sentTo', 'cylinders'])
    expect(rows).toContainEqual([evil.id, `'=HYPERLINK("http://evil.example/${tag}","Invoice")`, '', '1'])
    for (const sentTo of destinations) expect(rows).toContainEqual(['', '', `'${sentTo}`, '1'])
    expect(rows.flat().filter((cell) => /^[=+\-@]/.test(cell))).toEqual([])
  })

  it('downloads tests due and overdue returns with their columns', async () => {
    const admin = await loginAs(app(), 'admin')
    const [due] = await addCylinders(app(), admin, 1, { serialNumber: `-SN-${randomUUID().slice(0, 8)}`, nextTestDue: dayFromToday(-4000) })
    const tests = await reportsRequest(app(), admin, { format: 'csv', report: 'tests-due' })
    expect(tests.statusCode, tests.body).toBe(200)
    const [header, ...rows] = rowsOf(tests.body)
    expect(header).toEqual(['cylinderId', 'serialNumber', 'qrCode', 'gasType', 'status', 'nextTestDue'])
    expect(rows).toContainEqual([due!.id, `'${due!.serialNumber}`, due!.qrCode, 'CO2', 'available', dayFromToday(-4000)])

    const overdue = await reportsRequest(app(), admin, { format: 'csv', report: 'overdue-returns', days: 1 })
    expect(overdue.statusCode, overdue.body).toBe(200)
    expect(rowsOf(overdue.body)[0]).toEqual(['cylinderId', 'serialNumber', 'qrCode', 'locationId', 'locationName', 'sentTo', 'since', 'days'])
  })

  it('needs the report to download: format=csv without report is 400', async () => {
    const admin = await loginAs(app(), 'admin')
    const error = expectError(await reportsRequest(app(), admin, { format: 'csv' }), 400, 'VALIDATION_FAILED')
    expect(error.details).toEqual({ 'query.report': 'is required with format=csv' })
    expectError(await reportsRequest(app(), admin, { format: 'csv', report: 'everything' }), 400, 'VALIDATION_FAILED')
  })
})

describe('the range', () => {
  it.each([
    ['from after to', { from: '2024-02-10', to: '2024-02-01' }, { 'query.from': 'must be before to' }],
    ['from equal to a date-time to', { from: '2024-02-10T10:00:00Z', to: '2024-02-10T10:00:00Z' }, { 'query.from': 'must be before to' }],
    ['over 366 days', { from: '2023-01-01', to: '2024-01-02' }, { 'query.to': 'must be at most 366 days after from' }],
    ['a day that does not exist', { from: '2024-02-30', to: '2024-03-10' }, { 'query.from': 'is not a valid date' }],
    ['only from, over a year ago', { from: '2001-01-01' }, { 'query.to': 'must be at most 366 days after from' }],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field', async (_name, query, details) => {
    const admin = await loginAs(app(), 'admin')
    const error = expectError(await reportsRequest(app(), admin, query), 400, 'VALIDATION_FAILED')
    expect(error.details).toEqual(details)
  })

  it.each([
    ['a date-time without a zone', { from: '2024-02-01T10:00:00' }, 'query.from'],
    ['a month bucket', { bucket: 'month' }, 'query.bucket'],
    ['days below 1', { days: 0 }, 'query.days'],
    ['an unknown parameter', { sort: 'name' }, 'query.sort'],
  ])('refuses %s by schema', async (_name, query, field) => {
    const admin = await loginAs(app(), 'admin')
    const error = expectError(await reportsRequest(app(), admin, query), 400, 'VALIDATION_FAILED')
    expect(Object.keys(error.details)).toEqual([field])
  })

  it('takes 366 days, a leap year from the first to the last day', async () => {
    const admin = await loginAs(app(), 'admin')
    const response = await reportsRequest(app(), admin, { from: '2024-01-01', to: '2024-12-31' })
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json<{ to: string; activity: { bucketStart: string }[] }>()
    expect(body.to).toBe('2025-01-01T00:00:00.000Z')
    expect(body.activity).toHaveLength(366)
    expect(body.activity.at(-1)!.bucketStart).toBe('2024-12-31')
  })
})

describe('access and contract', () => {
  it('is for admins only, as JSON and as CSV', async () => {
    const worker = await loginAs(app(), 'worker')
    for (const query of [{}, { format: 'csv', report: 'holdings' }] as Record<string, string>[]) {
      expectError(await reportsRequest(app(), undefined, query), 401, 'UNAUTHENTICATED')
      expectError(await reportsRequest(app(), worker, query), 403, 'FORBIDDEN')
    }
  })

  it('documents both routes, and the reports as JSON or CSV', async () => {
    type Response = { content: Record<string, unknown>; headers?: Record<string, unknown> }
    const doc = (await app().inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { tags: string[]; responses: Record<string, Response> }>> }>()
    const reports = doc.paths['/api/admin/reports']?.get
    expect(Object.keys(reports?.responses['200']?.content ?? {}).sort()).toEqual(['application/json', 'text/csv'])
    expect(Object.keys(reports?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '429', '500', '503'])
    expect(reports?.responses['200']?.headers).toHaveProperty('content-disposition')
    const inventory = doc.paths['/api/admin/inventory']?.get
    expect(inventory?.tags).toEqual(['cylinders-admin'])
    expect(inventory?.responses['200']?.headers).toHaveProperty('x-cache')
  })
})
