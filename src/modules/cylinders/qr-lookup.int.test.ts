import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addCylinders, moved, post, type TestCylinder } from '../../../test/helpers/cylinders.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

/** The code with every other letter in lower case: what a scanner app or a person may type. */
const mixedCase = (code: string): string => [...code].map((c, i) => (i % 2 ? c.toLowerCase() : c)).join('')

describe('QR code lookups in any letter case', () => {
  it('scanning a lower- or mixed-case code finds the cylinder, and the answer shows the stored code', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), admin)
    const code = cylinder!.qrCode
    for (const typed of [code.toLowerCase(), mixedCase(code)]) {
      expect(typed).not.toBe(code)
      const scanned = await app().inject({ url: `/api/cylinders/scan/${typed}`, headers: worker.headers })
      expect(scanned.statusCode, scanned.body).toBe(200)
      expect(scanned.json()).toEqual(cylinder)
      expect(scanned.json<TestCylinder>().qrCode).toBe(code)
    }
    expectError(await app().inject({ url: '/api/cylinders/scan/cyl-neverissued', headers: worker.headers }), 404, 'NOT_FOUND')
  })

  it('a retired code in lower case is still 410', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    expect((await post(app(), admin, 'reprint', { cylinderId: cylinder!.id })).statusCode).toBe(200)
    expectError(await app().inject({ url: `/api/cylinders/scan/${cylinder!.qrCode.toLowerCase()}`, headers: admin.headers }), 410, 'CYLINDER_QR_RETIRED')
  })

  it('a batch of lower- and mixed-case codes moves the cylinders, one code in two cases counting once', async () => {
    const worker = await loginAs(app(), 'worker')
    const [a, b] = await addCylinders(app(), await loginAs(app(), 'admin'), 2)
    const shipment = await moved(app(), worker, 'ship', { qrCodes: [a!.qrCode.toLowerCase(), mixedCase(a!.qrCode), mixedCase(b!.qrCode)], sentTo: 'Harbour' })
    expect(shipment.count).toBe(2)
    expect(shipment.items.map((item) => item.qrCode).sort()).toEqual([a!.qrCode, b!.qrCode].sort())
  })

  it('a refused batch names a lower-case code as stored', async () => {
    const worker = await loginAs(app(), 'worker')
    const [cylinder] = await addCylinders(app(), await loginAs(app(), 'admin'))
    // A cylinder at the depot cannot be returned.
    const refused = await post(app(), worker, 'return', { qrCodes: [cylinder!.qrCode.toLowerCase()] })
    expect(refused.statusCode, refused.body).toBe(409)
    expect(refused.json<{ error: { details: { failures: unknown[] } } }>().error.details.failures).toEqual([
      expect.objectContaining({ ref: cylinder!.qrCode, cylinderId: cylinder!.id, reason: 'INVALID_STATUS' }),
    ])
  })

  it('the list search finds a cylinder by its whole code in any letter case', async () => {
    const admin = await loginAs(app(), 'admin')
    const [cylinder] = await addCylinders(app(), admin)
    const found = await app().inject({ url: `/api/cylinders?q=${mixedCase(cylinder!.qrCode)}`, headers: admin.headers })
    expect(found.statusCode, found.body).toBe(200)
    expect(found.json<{ items: TestCylinder[] }>().items).toEqual([cylinder])
  })
})
