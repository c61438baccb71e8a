import { extensionsOf } from './content-types.js'

const MAX_NAME_LENGTH = 200

/**
 * A client's file name made safe to store, show and send back in Content-Disposition: the last
 * path segment only, NFC, without control or invisible formatting characters (a right-to-left
 * override can make `exe.png` read as `gnp.exe`), without characters Windows refuses, at most
 * 200 characters with the extension kept. Never used to build a storage path.
 */
export function sanitizeFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).at(-1) ?? ''
  const cleaned = base
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[. ]+$/, '')
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return 'file'
  return truncate(cleaned)
}

function truncate(name: string): string {
  const chars = [...name]
  if (chars.length <= MAX_NAME_LENGTH) return name
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 ? [...name.slice(dot)] : []
  if (extension.length > 16) return chars.slice(0, MAX_NAME_LENGTH).join('')
  return chars.slice(0, MAX_NAME_LENGTH - extension.length).join('') + extension.join('')
}

/** The name a download is saved under: ends with an extension of its real type (`page.html` → `page.html.txt`). */
export function downloadName(name: string, contentType: string): string {
  const extensions = extensionsOf(contentType)
  const current = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : ''
  return extensions.length === 0 || extensions.includes(current) ? name : `${name}.${extensions[0]}`
}

/** RFC 6266: an ASCII fallback for old clients and the exact UTF-8 name in `filename*`. */
export function contentDisposition(disposition: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
