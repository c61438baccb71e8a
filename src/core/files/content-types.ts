import { fileTypeFromBuffer } from 'file-type'

interface AllowedType {
  /** Extensions a download of this type should end with; the first is appended when missing. */
  readonly extensions: readonly string[]
  /** Raster images sharp decodes: shown inline and given a WebP thumbnail. */
  readonly image?: true
}

/**
 * What may be uploaded, by the type the bytes declare (magic numbers via file-type). Chosen for
 * what people attach to chats, coloring books and reports: raster images, documents, plain text
 * and CSV, zip archives, common audio and video. Everything else is refused, whatever the name
 * says: executables and installers (ELF, PE, Mach-O, APK, JAR, MSI), XML and so SVG (which can
 * carry script), and binary data nobody recognises. HTML has no magic number: it is stored as
 * text/plain and always downloaded as an attachment.
 */
const ALLOWED: Readonly<Record<string, AllowedType>> = {
  'image/jpeg': { extensions: ['jpg', 'jpeg'], image: true },
  'image/png': { extensions: ['png'], image: true },
  'image/gif': { extensions: ['gif'], image: true },
  'image/webp': { extensions: ['webp'], image: true },
  'image/avif': { extensions: ['avif'], image: true },
  'application/pdf': { extensions: ['pdf'] },
  'text/plain': { extensions: ['txt', 'text', 'md', 'log'] },
  'text/csv': { extensions: ['csv'] },
  'application/zip': { extensions: ['zip'] },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { extensions: ['docx'] },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { extensions: ['xlsx'] },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { extensions: ['pptx'] },
  'application/vnd.oasis.opendocument.text': { extensions: ['odt'] },
  'application/vnd.oasis.opendocument.spreadsheet': { extensions: ['ods'] },
  'application/vnd.oasis.opendocument.presentation': { extensions: ['odp'] },
  'audio/mpeg': { extensions: ['mp3'] },
  'audio/mp4': { extensions: ['m4a', 'mp4'] },
  'audio/x-m4a': { extensions: ['m4a'] },
  'audio/aac': { extensions: ['aac'] },
  'audio/ogg': { extensions: ['ogg', 'oga'] },
  'audio/ogg; codecs=opus': { extensions: ['opus', 'ogg'] },
  'audio/wav': { extensions: ['wav'] },
  'audio/flac': { extensions: ['flac'] },
  'video/mp4': { extensions: ['mp4', 'm4v'] },
  'video/webm': { extensions: ['webm'] },
  'video/quicktime': { extensions: ['mov'] },
}

export const allowedContentTypes: readonly string[] = Object.keys(ALLOWED)

/** file-type reads at most this much to decide (its "reasonable detection size"). */
export const SNIFF_BYTES = 4100

export type Sniffed = { readonly allowed: true; readonly contentType: string } | { readonly allowed: false; readonly detected: string | null }

/**
 * The type of an upload from its first bytes. Text has no magic number: UTF-8 without control
 * characters is text/plain, or text/csv when the name says .csv. The name can only choose between
 * those two harmless types, never make bytes executable or an image.
 */
export async function sniffContentType(head: Buffer, name: string): Promise<Sniffed> {
  const found = await fileTypeFromBuffer(head)
  if (found) return ALLOWED[found.mime] ? { allowed: true, contentType: found.mime } : { allowed: false, detected: found.mime }
  if (!looksLikeText(head)) return { allowed: false, detected: null }
  return { allowed: true, contentType: /\.csv$/i.test(name) ? 'text/csv' : 'text/plain' }
}

export const isImage = (contentType: string): boolean => ALLOWED[contentType]?.image === true

export const extensionsOf = (contentType: string): readonly string[] => ALLOWED[contentType]?.extensions ?? []

/** The Content-Type to serve: text is declared UTF-8, which `looksLikeText` checked. */
export const servedContentType = (contentType: string): string => (contentType.startsWith('text/') ? `${contentType}; charset=utf-8` : contentType)

/** UTF-8 (a sequence cut at the end of the sample is fine) with no control bytes but tab, LF, FF, CR. */
function looksLikeText(head: Buffer): boolean {
  for (const byte of head) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f) return false
  }
  try {
    // `stream: true` without a final flush: an incomplete sequence at the end is left undecided.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return true
  } catch {
    return false
  }
}
