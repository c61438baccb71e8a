import type { Readable } from 'node:stream'
import PDFDocument from 'pdfkit'
import { qrPng } from './qr-image.js'

const MM = 72 / 25.4

/**
 * The geometry of Avery L7159 / J8159 and compatible 24-up A4 sheets (3 × 8 labels of
 * 63.5 × 33.9 mm), so the labels land on a pre-cut sheet; on plain paper they cut apart evenly.
 */
const SHEET = { columns: 3, rows: 8, width: 63.5 * MM, height: 33.9 * MM, left: 7.25 * MM, top: 12.9 * MM, pitchX: 66 * MM, pitchY: 33.9 * MM }
export const LABELS_PER_PAGE = SHEET.columns * SHEET.rows

const PADDING = 6
const SERIAL_FONT_SIZES = [11, 9.5, 8, 7]
const QR_POINTS = 78
/**
 * Two modules of margin in the image plus the label's padding make the 4-module quiet zone
 * (a module is 78 / 29 ≈ 2.7 pt). Four pixels a module keep the edges sharp when the image is
 * scaled up to print, while a label's PNG stays near 1 KB.
 */
const QR_MARGIN = 2
const QR_SCALE = 4

export interface LabelCylinder {
  serialNumber: string
  gasType: string
  capacityLiters: number | null
  qrCode: string
}

type Doc = InstanceType<typeof PDFDocument>

/**
 * An A4 sheet of labels, one per cylinder in the order given, as a stream: pages go out as they
 * are drawn, so memory holds a page of images at a time (plus what the client has not read yet).
 */
export function labelSheet(cylinders: readonly LabelCylinder[]): Readable {
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, info: { Title: 'Cylinder labels', Creator: 'Plinth' } })
  writePages(doc, cylinders).then(
    () => {
      if (!doc.destroyed) doc.end()
    },
    (error: unknown) => doc.destroy(error instanceof Error ? error : new Error(String(error))),
  )
  return doc
}

async function writePages(doc: Doc, cylinders: readonly LabelCylinder[]): Promise<void> {
  for (let start = 0; start < cylinders.length; start += LABELS_PER_PAGE) {
    // The client went away (the reply destroys the stream): stop drawing for nobody.
    if (doc.destroyed) return
    const page = cylinders.slice(start, start + LABELS_PER_PAGE)
    // pngjs deflates on libuv's thread pool: a page's codes compress in parallel, and awaiting
    // them between pages lets other requests run while a long sheet is drawn.
    const images = await Promise.all(page.map((cylinder) => qrPng(cylinder.qrCode, { scale: QR_SCALE, margin: QR_MARGIN })))
    doc.addPage()
    page.forEach((cylinder, i) => drawLabel(doc, cylinder, images[i]!, i))
  }
}

function drawLabel(doc: Doc, cylinder: LabelCylinder, qr: Buffer, slot: number): void {
  const x = SHEET.left + (slot % SHEET.columns) * SHEET.pitchX
  const y = SHEET.top + Math.floor(slot / SHEET.columns) * SHEET.pitchY
  doc.image(qr, x + PADDING, y + (SHEET.height - QR_POINTS) / 2, { width: QR_POINTS, height: QR_POINTS })
  const textX = x + PADDING + QR_POINTS + PADDING
  const width = SHEET.width - (textX - x) - PADDING
  doc.save().rect(textX, y, width, SHEET.height).clip()
  doc.fillColor('black').font('Helvetica-Bold')
  fitText(doc, printable(cylinder.serialNumber), textX, y + 12, width, 38)
  doc.font('Helvetica').fontSize(9.5)
  doc.text(printable(gasLine(cylinder)), textX, y + 56, { width, height: 24, ellipsis: true })
  // The clip keeps anything pdfkit cannot break (a long word in a small box) out of the next label.
  doc.restore()
}

/** The serial number is what people read: a long one gets a smaller font before it gets cut. */
function fitText(doc: Doc, text: string, x: number, y: number, width: number, height: number): void {
  const size = SERIAL_FONT_SIZES.find((points) => doc.fontSize(points).heightOfString(text, { width }) <= height) ?? SERIAL_FONT_SIZES.at(-1)!
  doc.fontSize(size).text(text, x, y, { width, height, ellipsis: true })
}

/** Characters of WinAnsi beyond Latin-1, the encoding of PDF's standard fonts. */
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'

/**
 * The standard fonts (no font files to ship or find) have no glyphs beyond WinAnsi: pdfkit would
 * print other letters as unrelated ones, so they become `?`, which at least looks missing.
 */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7E\xA0-\xFF]/gu, (char) => (WIN_ANSI_EXTRA.includes(char) ? char : '?'))
}

/** `CO2 · 50 L`, or just the gas type when the capacity is not known. */
export function gasLine(cylinder: Pick<LabelCylinder, 'gasType' | 'capacityLiters'>): string {
  if (cylinder.capacityLiters === null) return cylinder.gasType
  return `${cylinder.gasType} · ${Number(cylinder.capacityLiters.toFixed(2))} L`
}
