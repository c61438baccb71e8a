import { randomBytes } from 'node:crypto'

/** Crockford's base32: upper-case letters and digits only, so a QR code encodes it in alphanumeric mode. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/**
 * A label's code: `CYL-` and 26 base32 characters of 130 random bits. Never derived from the id or
 * serial, so labels cannot be guessed or enumerated; a reprint draws a new one.
 */
export function newQrCode(): string {
  const bytes = randomBytes(17)
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < 26) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return `CYL-${out}`
}

export const QR_CODE_PATTERN = '^CYL-[0-9A-HJKMNP-TV-Z]{26}$'

/**
 * A code as typed or scanned, in the form codes are issued and stored (upper case), so a lookup in
 * any letter case uses the unique index as it is. ASCII letters only: `toUpperCase()` would also turn
 * characters such as `ß` or `ſ` into letters of a code, and input is refused, not guessed.
 */
export function canonicalQrCode(code: string): string {
  return code.replace(/[a-z]+/g, (letters) => letters.toUpperCase())
}

const QR_CODE_ANY_CASE = new RegExp(QR_CODE_PATTERN, 'i')

/** Whether `text` has the form of an issued code, in any letter case (every stored code has it). */
export const isQrCodeInAnyCase = (text: string): boolean => QR_CODE_ANY_CASE.test(text)
