import { randomUUID } from 'node:crypto'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, decodeQr, post, type TestCylinder } from '../../../test/helpers/cylinders.js'

const app = useTestApp()
let admin: TestUser
let worker: TestUser

beforeAll(async () => {
  admin = await loginAs(app(), 'admin')
  worker = await loginAs(app(), 'worker')
})

const qr = (cylinder: { id: string }, format: 'png' | 'svg', user: TestUser | undefined, query = '', headers: Record<string, string> = {}) =>
  app().inject({ url: `/api/cylinders/${cylinder.id}/qr.${format}${query}`, headers: { ...user?.headers, ...headers } })

describe('GET /api/cylinders/:id/qr.png', () => {
  it('is a 256 px PNG that scans as the cylinder’s code, cached by revalidation', async () => {
    const [cylinder] = await addCylinders(app(), admin, 1, { serialNumber: `QR/${randomUUID().slice(0, 8)} #1` })
    const response = await qr(cylinder!, 'png', worker)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('image/png')
    expect(response.headers['cache-control']).toBe('private, no-cache')
    expect(response.headers.etag).toMatch(/^"qr-[\w-]+"$/)
    expect(response.headers['content-disposition']).toMatch(/^inline; filename="QR_[\w-]+_1-qr\.png"$/)
    const png = response.rawPayload
    expect((await sharp(png).metadata()).width).toBe(256)
    expect(await decodeQr(png)).toBe(cylinder!.qrCode)
  })

  it('takes ?size= from 64 to 1024 px and refuses other sizes', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    for (const size of [64, 1024]) {
      const response = await qr(cylinder!, 'png', admin, `?size=${size}`)
      expect(response.statusCode).toBe(200)
      const { width, height } = await sharp(response.rawPayload).metadata()
      expect([width, height]).toEqual([size, size])
      expect(await decodeQr(response.rawPayload)).toBe(cylinder!.qrCode)
    }
    for (const size of ['63', '1025', 'big']) {
      const response = await qr(cylinder!, 'png', admin, `?size=${size}`)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { 'query.size': expect.any(String) } } })
    }
  })

  it('answers 304 to If-None-Match until a reprint, then serves the new code', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    const first = await qr(cylinder!, 'png', admin)
    const etag = first.headers.etag as string
    const again = await qr(cylinder!, 'png', admin, '', { 'if-none-match': etag })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers.etag).toBe(etag)
    expect((await qr(cylinder!, 'png', admin, '?size=300', { 'if-none-match': etag })).statusCode).toBe(200)

    const reprint = await post(app(), admin, 'reprint', { cylinderId: cylinder!.id, reason: 'label torn' })
    expect(reprint.statusCode, reprint.body).toBe(200)
    const newCode = reprint.json<TestCylinder>().qrCode
    expect(newCode).not.toBe(cylinder!.qrCode)
    const after = await qr(cylinder!, 'png', admin, '', { 'if-none-match': etag })
    expect(after.statusCode).toBe(200)
    expect(after.headers.etag).not.toBe(etag)
    expect(await decodeQr(after.rawPayload)).toBe(newCode)
  })
})

describe('GET /api/cylinders/:id/qr.svg', () => {
  it('is an SVG that rasterizes to the cylinder’s code', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    const response = await qr(cylinder!, 'svg', worker, '?size=200')
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toMatch(/^image\/svg\+xml/)
    expect(response.headers['cache-control']).toBe('private, no-cache')
    expect(response.body).toMatch(/^<svg [^>]*width="200" height="200"/)
    expect(response.headers.etag).not.toBe((await qr(cylinder!, 'png', worker, '?size=200')).headers.etag)
    expect(await decodeQr(response.rawPayload)).toBe(cylinder!.qrCode)
  })
})

describe('QR image access and errors', () => {
  it('needs a token (401) and the cylinders:read permission (403)', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    const user = await loginAs(app(), 'user')
    for (const format of ['png', 'svg'] as const) {
      expect((await qr(cylinder!, format, undefined)).json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } })
      const forbidden = await qr(cylinder!, format, user)
      expect(forbidden.statusCode).toBe(403)
      expect(forbidden.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
    }
  })

  it('answers 404 for an unknown cylinder and 400 for an id that is not a UUID', async () => {
    for (const format of ['png', 'svg'] as const) {
      const missing = await qr({ id: randomUUID() }, format, admin)
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toMatch(/^application\/json/)
      expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Cylinder was not found.', details: {} } })
      expect((await qr({ id: 'not-a-uuid' }, format, admin)).statusCode).toBe(400)
    }
  })
})
