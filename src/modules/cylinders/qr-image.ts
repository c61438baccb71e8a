import { createHash } from 'node:crypto'
import QRCode, { type QRCodeToBufferOptions } from 'qrcode'

/**
 * Level M restores up to 15 % of a scratched or dirty label and keeps a `CYL-…` code at
 * version 2 (25×25 modules): big modules that phones read from a distance.
 */
const ERROR_CORRECTION = 'M'
/** The quiet zone the QR standard asks for (4 modules): scanners need it to find the symbol. */
export const QUIET_ZONE = 4
/** Changes whenever the drawing changes, so caches holding images made the old way revalidate. */
const RENDERING_VERSION = 1

export const QR_SIZE = { min: 64, max: 1024, default: 256 } as const

export const QR_FORMATS = ['png', 'svg'] as const
export type QrFormat = (typeof QR_FORMATS)[number]

export const QR_CONTENT_TYPES: Readonly<Record<QrFormat, string>> = { png: 'image/png', svg: 'image/svg+xml' }

/** Either an exact width in pixels, or pixels per module (crisp edges, for embedding in a PDF). */
export type PngSize = { width: number; margin?: number } | { scale: number; margin?: number }

/**
 * A greyscale PNG without alpha: a third of the bytes of qrcode's default RGBA, and pdfkit embeds
 * it as is instead of splitting an alpha channel. (`colorType` is a pngjs option the types omit.)
 */
export function qrPng(code: string, size: PngSize): Promise<Buffer> {
  const rendererOpts = Object.assign({ deflateLevel: 9 }, { colorType: 0 })
  const options: QRCodeToBufferOptions = { errorCorrectionLevel: ERROR_CORRECTION, margin: size.margin ?? QUIET_ZONE, rendererOpts }
  return QRCode.toBuffer(code, 'width' in size ? { ...options, width: size.width } : { ...options, scale: size.scale })
}

/** A vector image with an intrinsic size of `size` px (it scales without loss). */
export function qrSvg(code: string, size: number): Promise<string> {
  return QRCode.toString(code, { type: 'svg', errorCorrectionLevel: ERROR_CORRECTION, margin: QUIET_ZONE, width: size })
}

export function renderQr(format: QrFormat, code: string, size: number): Promise<Buffer | string> {
  return format === 'png' ? qrPng(code, { width: size }) : qrSvg(code, size)
}

/**
 * A strong ETag: the same code, format and size always give the same bytes, and a reprint
 * changes the code. Hashed, so the code does not travel in a header that caches and logs keep.
 */
export function qrEtag(code: string, format: QrFormat, size: number): string {
  const digest = createHash('sha256').update(`${RENDERING_VERSION}\0${format}\0${size}\0${code}`).digest('base64url')
  return `"qr-${digest.slice(0, 27)}"`
}

/** A file name for "save image as": the serial number, reduced to characters safe in a header. */
export function qrFileName(serialNumber: string, format: QrFormat): string {
  const safe = serialNumber.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'cylinder'
  return `${safe}-qr.${format}`
}
