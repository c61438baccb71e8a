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
