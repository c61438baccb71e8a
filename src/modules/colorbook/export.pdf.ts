import type { Readable } from 'node:stream'
import PDFDocument from 'pdfkit'
import sharp from 'sharp'
import type { Stroke } from './db/schema.js'
import type { Orientation, PageSize } from './domain.js'

type Doc = InstanceType<typeof PDFDocument>

/** Portrait sizes in points (1/72 in). Square is 8.5 × 8.5 in, the common square colouring-book trim. */
const SIZES: Record<PageSize, [number, number]> = { A4: [595.28, 841.89], A5: [419.53, 595.28], Letter: [612, 792], Legal: [612, 1008], Square: [612, 612] }
const MARGIN = 36
/** The mark free plans carry on every page, and the credit on other plans' covers (never on white-label ones). */
export const WATERMARK_TEXT = 'COLORBOOK PREVIEW'
export const CREDIT_TEXT = 'Made with ColorBook'

export type BookSection = { kind: 'story'; title: string | null; text: string } | { kind: 'image'; fileId: string } | { kind: 'drawing'; title: string | null; strokes: Stroke[] }

export interface Book {
  title: string
  description: string | null
  size: PageSize
  orientation: Orientation
  coverFileId: string | null
  sections: BookSection[]
  /** Free plans: a diagonal mark on every page. */
  watermark: boolean
  /** Everyone but white-label accounts: the ColorBook credit on the cover. */
  credit: boolean
  /** White label: the account's name, logo and main colour on the cover. */
  brand: { name: string | null; logoFileId: string | null; color: string | null } | null
}

/** Reads a file's bytes (null: gone or unreadable: its page is left blank but kept, so page numbers hold). */
export type ImageLoader = (fileId: string) => Promise<Buffer | null>

/**
 * A print-ready colouring book: a cover, then each section on its own page (a story's text flows
 * onto as many pages as it needs), at the project's page size. Streams as it is drawn; images
 * are read one page at a time.
 */
export function colouringBook(book: Book, load: ImageLoader): Readable {
  const [w, h] = SIZES[book.size]
  const size: [number, number] = book.orientation === 'landscape' ? [h, w] : [w, h]
  const doc = new PDFDocument({
    size,
    margin: MARGIN,
    autoFirstPage: false,
    bufferPages: true,
    info: { Title: printable(book.title), Creator: book.brand?.name ? printable(book.brand.name) : book.credit ? 'ColorBook' : printable(book.title) },
  })
  draw(doc, book, load).then(
    () => {
      if (doc.destroyed) return
      if (book.watermark) stampEveryPage(doc)
      doc.flushPages()
      doc.end()
    },
    (error: unknown) => doc.destroy(error instanceof Error ? error : new Error(String(error))),
  )
  return doc
}

async function draw(doc: Doc, book: Book, load: ImageLoader): Promise<void> {
  await drawCover(doc, book, load)
  for (const section of book.sections) {
    if (doc.destroyed) return
    doc.addPage()
    if (section.kind === 'story') drawStory(doc, section)
    else if (section.kind === 'image') await drawImage(doc, await load(section.fileId), contentBox(doc))
    else drawStrokes(doc, section.strokes, contentBox(doc))
  }
}

const contentBox = (doc: Doc) => ({ x: MARGIN, y: MARGIN, width: doc.page.width - 2 * MARGIN, height: doc.page.height - 2 * MARGIN })

async function drawCover(doc: Doc, book: Book, load: ImageLoader): Promise<void> {
  doc.addPage()
  const box = contentBox(doc)
  const color = book.brand?.color ?? '#1a1a1a'
  doc.fillColor(color).font('Helvetica-Bold').fontSize(28).text(printable(book.title), box.x, box.y + 24, { width: box.width, align: 'center' })
  if (book.description) doc.moveDown(0.5).fillColor('#333333').font('Helvetica').fontSize(13).text(printable(book.description), { width: box.width, align: 'center' })
  const top = doc.y + 24
  const bottom = box.y + box.height - 60
  if (book.coverFileId && bottom - top > 72) await drawImage(doc, await load(book.coverFileId), { x: box.x, y: top, width: box.width, height: bottom - top })
  const footerY = box.y + box.height - 40
  if (book.brand) {
    if (book.brand.logoFileId) await drawImage(doc, await load(book.brand.logoFileId), { x: box.x + box.width / 2 - 60, y: footerY - 50, width: 120, height: 40 })
    if (book.brand.name) doc.fillColor(color).font('Helvetica').fontSize(11).text(printable(book.brand.name), box.x, footerY, { width: box.width, align: 'center' })
  }
  if (book.credit) doc.fillColor('#777777').font('Helvetica').fontSize(9).text(CREDIT_TEXT, box.x, footerY + 16, { width: box.width, align: 'center' })
}

function drawStory(doc: Doc, story: { title: string | null; text: string }): void {
  const box = contentBox(doc)
  doc.fillColor('#1a1a1a')
  if (story.title) doc.font('Helvetica-Bold').fontSize(20).text(printable(story.title), box.x, box.y, { width: box.width }).moveDown(0.6)
  // pdfkit adds the pages long text needs.
  if (story.text) doc.font('Helvetica').fontSize(13).text(printable(story.text), { width: box.width, lineGap: 3 })
}

interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** The picture fitted and centred in the box; pdfkit reads JPEG and PNG, anything else is converted. */
async function drawImage(doc: Doc, bytes: Buffer | null, box: Box): Promise<void> {
  if (!bytes) return
  const options = { fit: [box.width, box.height] as [number, number], align: 'center' as const, valign: 'center' as const }
  try {
    doc.image(isJpegOrPng(bytes) ? bytes : await sharp(bytes).png().toBuffer(), box.x, box.y, options)
  } catch {
    // An interlaced or unusual PNG pdfkit cannot read: sharp re-encodes it plainly.
    doc.image(await sharp(bytes).flatten({ background: '#ffffff' }).jpeg({ quality: 92 }).toBuffer(), box.x, box.y, options)
  }
}

const isJpegOrPng = (bytes: Buffer) => (bytes[0] === 0xff && bytes[1] === 0xd8) || bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))

/** The strokes as vector paths, scaled to fit the box (aspect kept, centred), round caps and joins. */
export function drawStrokes(doc: Doc, strokes: readonly Stroke[], box: Box): void {
  const points = strokes.flatMap((s) => s.points)
  if (points.length === 0) return
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  const [minX, minY] = [Math.min(...xs), Math.min(...ys)]
  const spanX = Math.max(Math.max(...xs) - minX, 1)
  const spanY = Math.max(Math.max(...ys) - minY, 1)
  const scale = Math.min(box.width / spanX, box.height / spanY)
  const offsetX = box.x + (box.width - spanX * scale) / 2
  const offsetY = box.y + (box.height - spanY * scale) / 2
  const at = ([x, y]: [number, number]): [number, number] => [offsetX + (x - minX) * scale, offsetY + (y - minY) * scale]
  doc.save().lineCap('round').lineJoin('round')
  for (const stroke of strokes) {
    const color = stroke.tool === 'eraser' ? '#ffffff' : safeColor(stroke.color)
    const width = Math.max(stroke.width * scale, 0.25)
    const [first, ...rest] = stroke.points.map(at)
    if (!first) continue
    if (rest.length === 0) {
      doc.circle(first[0], first[1], width / 2).fill(color)
      continue
    }
    doc.moveTo(first[0], first[1])
    for (const [x, y] of rest) doc.lineTo(x, y)
    doc.lineWidth(width).strokeColor(color).stroke()
  }
  doc.restore()
}

const safeColor = (color: string | undefined) => (color && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(color) ? color : '#000000')

function stampEveryPage(doc: Doc): void {
  const range = doc.bufferedPageRange()
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i)
    const { width, height } = doc.page
    // Below the bottom margin pdfkit would open a new page: the stamp is placed with margins off.
    const margins = doc.page.margins
    doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 }
    doc.save().fillColor('#9a9a9a').fillOpacity(0.35).font('Helvetica-Bold').fontSize(Math.min(width, height) / 13)
    const textWidth = doc.widthOfString(WATERMARK_TEXT)
    doc.rotate(-35, { origin: [width / 2, height / 2] }).text(WATERMARK_TEXT, (width - textWidth) / 2, height / 2 - 20, { lineBreak: false })
    doc.restore()
    doc.page.margins = margins
  }
}

/** Characters of WinAnsi beyond Latin-1, the encoding of PDF's standard fonts. */
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'

/** The standard fonts have no glyphs beyond WinAnsi: other letters become `?`; line breaks stay. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7E\xA0-\xFF\n]/gu, (char) => (WIN_ANSI_EXTRA.includes(char) ? char : char === '\r' || char === '\t' ? ' ' : '?'))
}
