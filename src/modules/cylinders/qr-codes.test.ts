import { describe, expect, it } from 'vitest'
import { canonicalQrCode, isQrCodeInAnyCase, newQrCode, QR_CODE_PATTERN } from './qr-codes.js'

describe('QR codes', () => {
  it('are issued in upper case, the form they are stored and matched in', () => {
    const code = newQrCode()
    expect(code).toMatch(new RegExp(QR_CODE_PATTERN))
    expect(canonicalQrCode(code)).toBe(code)
    expect(canonicalQrCode(code.toLowerCase())).toBe(code)
  })

  it('match in any ASCII letter case, and nothing else is turned into a letter', () => {
    expect(canonicalQrCode('cyl-7z3k9Q2m4x8b1n6t5r0w2y4c8d')).toBe('CYL-7Z3K9Q2M4X8B1N6T5R0W2Y4C8D')
    // `'ſ'.toUpperCase()` is 'S' and `'ß'.toUpperCase()` is 'SS': such input stays unknown, not guessed.
    expect(canonicalQrCode('cyl-ſß')).toBe('CYL-ſß')
  })

  it('tell a code in any letter case from other search text', () => {
    expect(isQrCodeInAnyCase('cyl-7z3k9Q2m4x8b1n6t5r0w2y4c8d')).toBe(true)
    expect(isQrCodeInAnyCase('CYL-7Z3K9Q2M4X8B1N6T5R0W2Y4C8D')).toBe(true)
    expect(isQrCodeInAnyCase('cyl-7z3k')).toBe(false)
    // Crockford's alphabet has no I, L, O or U: such text is no code, and is left as it is.
    expect(isQrCodeInAnyCase('cyl-iz3k9Q2m4x8b1n6t5r0w2y4c8d')).toBe(false)
  })
})
