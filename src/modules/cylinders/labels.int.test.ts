import { randomUUID } from 'node:crypto'
import { crc32, inflateSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, decodeQr, uniqueSerial } from '../../../test/helpers/cylinders.js'

const app = useTestApp()
let admin: TestUser

beforeAll(async () => {
  admin = await loginAs(app(), 'admin')
})

const labels = (ids: string, user: TestUser | null = admin) =>
  app().inject({ url: `/api/cylinders/labels.pdf?ids=${encodeURIComponent(ids)}`, headers: { ...user?.headers } })

describe('GET /api/cylinders/labels.pdf', () => {
  it('is an A4 PDF attachment whose labels scan as the codes and show serial, gas and capacity', async () => {
    const [co2] = await addCylinders(app(), admin, 1, { serialNumber: uniqueSerial('L'), gasType: 'CO2', capacityLiters: 50 })
    const [argon] = await addCylinders(app(), admin, 1, { serialNumber: uniqueSerial('L'), gasType: 'Argon', capacityLiters: null })
    const response = await labels(`${co2!.id},${argon!.id}`)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    expect(response.headers['content-disposition']).toBe('attachment; filename="cylinder-labels.pdf"')
    const pdf = readPdf(response.rawPayload)
    expect(response.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
    expect(pdf.pages).toBe(1)
    expect(pdf.mediaBoxes).toEqual(['0 0 595.28 841.89'])
    expect(await Promise.all(pdf.images.map(decodeQr))).toEqual([co2!.qrCode, argon!.qrCode])
    expect(pdf.text).toContain(`${co2!.serialNumber}CO2 · 50 L`)
    expect(pdf.text).toContain(`${argon!.serialNumber}Argon`)
    expect(pdf.text).not.toContain('Argon ·')
  })

  it('fills 24 labels a page, in the order asked, and prints a repeated id twice', async () => {
    const cylinders = await addCylinders(app(), admin, 25)
    const ids = cylinders.map((c) => c.id)
    const full = readPdf((await labels(ids.join(','))).rawPayload)
    expect(full.pages).toBe(2)
    expect(full.images).toHaveLength(25)
    expect(await decodeQr(full.images[24]!)).toBe(cylinders[24]!.qrCode)
    const page = readPdf((await labels(ids.slice(0, 24).join(','))).rawPayload)
    expect(page.pages).toBe(1)
    const twice = readPdf((await labels(` ${ids[3]!.toUpperCase()}, ${ids[3]},`)).rawPayload)
    expect(await Promise.all(twice.images.map(decodeQr))).toEqual([cylinders[3]!.qrCode, cylinders[3]!.qrCode])
  })

  it('refuses empty, malformed and too long lists with 400 VALIDATION_FAILED', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    const tooMany = Array.from({ length: 501 }, () => randomUUID()).join(',')
    for (const ids of ['', ' , ', `${cylinder!.id},nope`, tooMany]) {
      const response = await labels(ids)
      expect(response.statusCode, ids.slice(0, 50)).toBe(400)
      expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { 'query.ids': expect.any(String) } } })
    }
    expect((await labels(tooMany)).json().error.details['query.ids']).toBe('lists 501 ids; at most 500 per sheet')
    expect((await labels(`${cylinder!.id},nope`)).json().error.details['query.ids']).toBe('has values that are not UUIDs: nope')
    const missing = await app().inject({ url: '/api/cylinders/labels.pdf', headers: admin.headers })
    expect(missing.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { 'query.ids': 'is required' } } })
  })

  it('answers 404 listing the unknown ids', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    const unknown = [randomUUID(), randomUUID()]
    const response = await labels([unknown[0], cylinder!.id, unknown[1]].join(','))
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { missing: unknown } } })
  })

  it('needs a token (401) and cylinders:manage (403 for a worker)', async () => {
    const [cylinder] = await addCylinders(app(), admin)
    expect((await labels(cylinder!.id, null)).statusCode).toBe(401)
    const forbidden = await labels(cylinder!.id, await loginAs(app(), 'worker'))
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
  })
})

describe('POST /api/cylinders/labels.pdf', () => {
  it('takes the ids in the body, for lists too long for a URL', async () => {
    const cylinders = await addCylinders(app(), admin, 3)
    const response = await app().inject({ method: 'POST', url: '/api/cylinders/labels.pdf', headers: admin.headers, payload: { ids: cylinders.map((c) => c.id) } })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    expect(await Promise.all(readPdf(response.rawPayload).images.map(decodeQr))).toEqual(cylinders.map((c) => c.qrCode))
    const tooMany = await app().inject({ method: 'POST', url: '/api/cylinders/labels.pdf', headers: admin.headers, payload: { ids: Array.from({ length: 501 }, () => randomUUID()) } })
    expect(tooMany.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { ids: expect.any(String) } } })
  })
})

interface Pdf {
  pages: number
  mediaBoxes: string[]
  /** The embedded images as PNG files, in the order the pages draw them. */
  images: Buffer[]
  /** The text every page shows, concatenated in drawing order. */
  text: string
}

/**
 * Just enough of a PDF reader for pdfkit's output, which writes every stream with a direct
 * /Length and embeds PNGs as their own IDAT data (so an image becomes a PNG file again).
 */
function readPdf(bytes: Buffer): Pdf {
  const source = bytes.toString('latin1')
  const pages = [...source.matchAll(/\/Type \/Page\n[^]*?\/MediaBox \[([^\]]+)\]/g)]
  const images: Buffer[] = []
  let text = ''
  for (const match of source.matchAll(/obj\s*(<<(?:(?!endobj)[^])*?>>)\s*stream\r?\n/g)) {
    const dictionary = match[1]!
    const start = match.index + match[0].length
    const data = bytes.subarray(start, start + Number(/\/Length (\d+)/.exec(dictionary)![1]))
    const size = /\/Width (\d+)\s+\/Height (\d+)/.exec(dictionary)
    if (dictionary.includes('/Subtype /Image') && size) images.push(greyPng(Number(size[1]), Number(size[2]), data))
    else if (!dictionary.includes('/Subtype')) text += shownText(inflateSync(data).toString('latin1'))
  }
  return { pages: pages.length, mediaBoxes: [...new Set(pages.map((page) => page[1]!.trim().split(/\s+/).map(Number).join(' ')))], images, text }
}

/** The strings of `[<hex> kerning <hex>] TJ` operators (pdfkit's only text operator). */
function shownText(content: string): string {
  return [...content.matchAll(/\[([^\]]*)\]\s*TJ/g)]
    .flatMap((op) => [...op[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((hex) => Buffer.from(hex[1]!, 'hex').toString('latin1')))
    .join('')
}

function greyPng(width: number, height: number, idat: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const framing = Buffer.alloc(8)
    framing.writeUInt32BE(data.length, 0)
    framing.writeUInt32BE(crc32(body), 4)
    return Buffer.concat([framing.subarray(0, 4), body, framing.subarray(4)])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bits per sample; colour type 0 (grey), no interlace
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))])
}
