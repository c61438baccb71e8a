import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, getCylinder, uniqueSerial, type TestCylinder } from '../../../test/helpers/cylinders.js'

const app = useTestApp()
let admin: TestUser

beforeAll(async () => {
  admin = await loginAs(app(), 'admin')
})

const importCsv = (csv: string | Buffer, user: TestUser | null = admin, contentType = 'text/csv') =>
  app().inject({ method: 'POST', url: '/api/cylinders/import', headers: { ...user?.headers, 'content-type': contentType }, payload: csv })

async function search(q: string): Promise<TestCylinder[]> {
  const response = await app().inject({ url: `/api/cylinders?q=${encodeURIComponent(q)}`, headers: admin.headers })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ items: TestCylinder[] }>().items
}

interface ImportError {
  error: { code: string; message: string; details: { rows: { line: number; errors: Record<string, string> }[]; invalidRows: number; totalRows: number } }
}

describe('POST /api/cylinders/import', () => {
  it('adds every row, with a QR code and an imported history event', async () => {
    const [full, minimal] = [uniqueSerial('IMP'), uniqueSerial('IMP')]
    // Excel's "CSV UTF-8": a byte-order mark, CRLF line ends, its own column order and names.
    const csv =
      '\uFEFFGas_Type,serial_number,Capacity Liters,owner,manufacturedOn,lastTestOn,nextTestDue,STATUS,notes\r\n' +
      `O2,${full},10.5,Depot Nord,2020-01-15,2024-02-29,2029-02-28,Quarantined,"valve checked, ok\r\nsecond line"\r\n` +
      `\r\nCO2,${minimal},,,,,,,\r\n,,,,,,,,\r\n`
    const response = await importCsv(csv)
    expect(response.statusCode, response.body).toBe(201)
    const body = response.json<{ imported: number; items: TestCylinder[] }>()
    expect(body.imported).toBe(2)
    expect(body.items.map((c) => c.serialNumber)).toEqual([full, minimal])
    expect(body.items[0]).toMatchObject({
      gasType: 'O2',
      capacityLiters: 10.5,
      owner: 'Depot Nord',
      manufacturedOn: '2020-01-15',
      lastTestOn: '2024-02-29',
      nextTestDue: '2029-02-28',
      status: 'quarantined',
      notes: 'valve checked, ok\nsecond line',
      qrCode: expect.stringMatching(/^CYL-/),
    })
    expect(body.items[1]).toMatchObject({ gasType: 'CO2', status: 'available', capacityLiters: null, owner: null, nextTestDue: null, notes: null })

    expect(await search(full)).toMatchObject([{ id: body.items[0]!.id, status: 'quarantined' }])
    expect(await getCylinder(app(), admin, body.items[1]!.id)).toMatchObject({ serialNumber: minimal })
    const history = await app().inject({ url: `/api/cylinders/${body.items[0]!.id}/history`, headers: admin.headers })
    expect(history.json<{ items: unknown[] }>().items).toEqual([expect.objectContaining({ type: 'imported', toStatus: 'quarantined', actorId: admin.id })])
  })

  it('imports the maximum of 5000 rows, every column filled, in one statement', async () => {
    // 5000 rows of every column stay under PostgreSQL's 65,535 parameters per statement.
    const rows = Array.from({ length: 5000 }, (_, i) => `${uniqueSerial('MAX')},CO2,50,Depot,2020-01-01,2024-01-01,2029-01-01,returned,row ${i}`)
    const response = await importCsv(['serialNumber,gasType,capacityLiters,owner,manufacturedOn,lastTestOn,nextTestDue,status,notes', ...rows].join('\n'))
    expect(response.statusCode, response.body.slice(0, 500)).toBe(201)
    const body = response.json<{ imported: number; items: TestCylinder[] }>()
    expect(body.imported).toBe(5000)
    expect(body.items.at(-1)).toMatchObject({ serialNumber: rows.at(-1)!.split(',')[0], status: 'returned', notes: 'row 4999' })
  })

  it('reads semicolon-separated files in the charset the request names', async () => {
    const serial = uniqueSerial('IMP')
    const csv = Buffer.from(`serialNumber;gasType;owner\n${serial};Argon;Müller GmbH\n`, 'latin1')
    const response = await importCsv(csv, admin, 'text/csv; charset=windows-1252')
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json<{ items: TestCylinder[] }>().items[0]).toMatchObject({ serialNumber: serial, gasType: 'Argon', owner: 'Müller GmbH' })

    const notUtf8 = await importCsv(Buffer.from(`serialNumber,gasType,owner\n${uniqueSerial()},Argon,Müller\n`, 'latin1'))
    expect(notUtf8.statusCode).toBe(422)
    expect(notUtf8.json()).toMatchObject({ error: { code: 'CYLINDER_IMPORT_INVALID', message: expect.stringContaining('not valid utf-8') } })
  })

  it('refuses the whole file listing every bad row by line and column, and stores nothing', async () => {
    const [taken] = await addCylinders(app(), admin)
    const good = uniqueSerial('IMP')
    const lines = [
      'serialNumber,gasType,capacityLiters,manufacturedOn,nextTestDue,status',
      `${good},CO2,50,2020-01-01,2030-01-01,available`,
      ',,50,,,',
      `${uniqueSerial()},CO2,,01/02/2020,2023-02-29,`,
      `${uniqueSerial()},CO2,-5,,,sent`,
      `${uniqueSerial()},CO2,abc,2024-13-01,,`,
      `${good.toLowerCase()},O2,,,,`,
      `${taken!.serialNumber},O2,,,,`,
      `${uniqueSerial()},CO2,,,,,extra`,
      `${'S'.repeat(65)},CO2,100001,,,`,
    ]
    const response = await importCsv(lines.join('\n'))
    expect(response.statusCode).toBe(422)
    const { error } = response.json<ImportError>()
    expect(error.code).toBe('CYLINDER_IMPORT_INVALID')
    expect(error.message).toBe('8 of 9 rows have errors; no cylinder was imported.')
    expect(error.details).toEqual({
      invalidRows: 8,
      totalRows: 9,
      rows: [
        { line: 3, errors: { serialNumber: 'is required', gasType: 'is required' } },
        { line: 4, errors: { manufacturedOn: 'must be a date as YYYY-MM-DD', nextTestDue: 'is not a real calendar date' } },
        { line: 5, errors: { capacityLiters: 'must be a positive number of liters, like 50 or 10.5', status: 'must be available, returned or quarantined' } },
        { line: 6, errors: { capacityLiters: 'must be a positive number of liters, like 50 or 10.5', manufacturedOn: 'is not a real calendar date' } },
        { line: 7, errors: { serialNumber: 'repeats line 2' } },
        { line: 8, errors: { serialNumber: 'is already in use' } },
        { line: 9, errors: { row: 'has a value in column 7, which has no header' } },
        { line: 10, errors: { serialNumber: 'is longer than 64 characters', capacityLiters: 'must be at most 100000' } },
      ],
    })
    expect(await search(good)).toEqual([])
  })

  it('counts lines as an editor does: quoted values over several lines and blank lines included', async () => {
    const csv = `serialNumber,gasType,notes\n\n${uniqueSerial()},CO2,"one\n\nthree"\n\n${uniqueSerial()},,x\n`
    const response = await importCsv(csv)
    expect(response.json<ImportError>().error.details.rows).toEqual([{ line: 7, errors: { gasType: 'is required' } }])
  })

  it('lists the first 100 bad rows and counts them all', async () => {
    const rows = Array.from({ length: 150 }, () => `${uniqueSerial()},`)
    const response = await importCsv(['serialNumber,gasType', ...rows].join('\n'))
    const { details } = response.json<ImportError>().error
    expect(details.rows).toHaveLength(100)
    expect(details.rows.at(-1)).toEqual({ line: 101, errors: { gasType: 'is required' } })
    expect([details.invalidRows, details.totalRows]).toEqual([150, 150])
  })

  it('names unknown, repeated and missing columns', async () => {
    const unknown = await importCsv(`serialNumber,gasType,colour,Weight\n${uniqueSerial()},CO2,red,3\n`)
    expect(unknown.statusCode).toBe(422)
    expect(unknown.json()).toMatchObject({
      error: { code: 'CYLINDER_IMPORT_INVALID', message: expect.stringContaining('unknown columns colour, Weight'), details: { unknownColumns: ['colour', 'Weight'] } },
    })
    const repeated = await importCsv(`serialNumber,serial_number,gasType\n${uniqueSerial()},x,CO2\n`)
    expect(repeated.json()).toMatchObject({ error: { code: 'CYLINDER_IMPORT_INVALID', details: { repeatedColumns: ['serialNumber'] } } })
    const missing = await importCsv(`serialNumber,owner\n${uniqueSerial()},Depot\n`)
    expect(missing.json()).toMatchObject({ error: { code: 'CYLINDER_IMPORT_INVALID', details: { missingColumns: ['gasType'] } } })
    expect(missing.json<ImportError>().error.details).not.toHaveProperty('unknownColumns')
  })

  it('refuses an empty file, a header without rows, more than 5000 rows and unreadable CSV', async () => {
    for (const empty of ['', '\n \n']) {
      const response = await importCsv(empty)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { body: expect.stringContaining('is empty') } } })
    }
    const headerOnly = await importCsv('serialNumber,gasType\n,\n ,\n')
    expect(headerOnly.statusCode).toBe(422)
    expect(headerOnly.json()).toMatchObject({ error: { code: 'CYLINDER_IMPORT_INVALID', message: 'The CSV has a header row but no cylinders.' } })
    const tooMany = await importCsv(['serialNumber,gasType', ...Array.from({ length: 5001 }, (_, i) => `TOO-MANY-${i},CO2`)].join('\n'))
    expect(tooMany.statusCode).toBe(422)
    expect(tooMany.json()).toMatchObject({ error: { code: 'CYLINDER_IMPORT_INVALID', details: { totalRows: 5001, maxRows: 5000 } } })
    expect(await search('TOO-MANY-1')).toEqual([])
    const unclosed = await importCsv(`serialNumber,gasType,notes\n${uniqueSerial()},CO2,ok\n${uniqueSerial()},CO2,"open\n`)
    expect(unclosed.statusCode).toBe(422)
    expect(unclosed.json()).toMatchObject({ error: { code: 'CYLINDER_IMPORT_INVALID', message: expect.stringContaining('at line 3'), details: { line: 3 } } })
  })

  it('refuses bodies over 5 MB with 413', async () => {
    const response = await importCsv(`serialNumber,gasType,notes\n${uniqueSerial()},CO2,${'x'.repeat(5 * 1024 * 1024)}\n`)
    expect(response.statusCode).toBe(413)
    expect(response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } })
  })

  it('needs a token (401), cylinders:manage (403 for a worker) and Content-Type text/csv (415)', async () => {
    const csv = `serialNumber,gasType\n${uniqueSerial()},CO2\n`
    expect((await importCsv(csv, null)).statusCode).toBe(401)
    const worker = await importCsv(csv, await loginAs(app(), 'worker'))
    expect(worker.statusCode).toBe(403)
    expect(worker.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
    for (const contentType of ['application/json', 'text/plain']) {
      const payload = contentType === 'application/json' ? JSON.stringify({ csv }) : csv
      const response = await importCsv(payload, admin, contentType)
      expect(response.statusCode, contentType).toBe(415)
      expect(response.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } })
    }
  })
})
