import { describe, expect, it } from 'vitest'
import { SignedLinks } from './signed-links.js'

const SECRET = 'a-signing-secret-that-is-long-enough!'
const ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'

describe('SignedLinks', () => {
  it('accepts its own link until the expiry second, then calls it expired', () => {
    let now = 1_700_000_000_000
    const links = new SignedLinks(SECRET, () => now)
    const { expires, signature } = links.sign(ID, 60)
    expect(expires).toBe(1_700_000_060)
    expect(signature).toMatch(/^[\w-]{43}$/)
    expect(links.check(ID, expires, signature)).toBe('valid')
    now += 59_999
    expect(links.check(ID, expires, signature)).toBe('valid')
    now += 1
    expect(links.check(ID, expires, signature)).toBe('expired')
  })

  it('refuses another file, another expiry, another key or a mangled signature', () => {
    const links = new SignedLinks(SECRET)
    const { expires, signature } = links.sign(ID, 60)
    expect(links.check(ID.replace(/b$/, 'c'), expires, signature)).toBe('invalid')
    expect(links.check(ID, expires + 1, signature)).toBe('invalid')
    expect(new SignedLinks(`${SECRET}x`).check(ID, expires, signature)).toBe('invalid')
    expect(links.check(ID, expires, signature.slice(1))).toBe('invalid')
    expect(links.check(ID, expires, '')).toBe('invalid')
  })

  it('checks the signature before the expiry: a forged old link is invalid, not expired', () => {
    const links = new SignedLinks(SECRET)
    const { expires } = links.sign(ID, -10)
    expect(links.check(ID, expires, 'A'.repeat(43))).toBe('invalid')
  })
})
