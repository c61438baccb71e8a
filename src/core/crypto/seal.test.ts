import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Sealer } from './seal.js'

const key = randomBytes(32)
const sealer = new Sealer(key)

/** Replaces one dot-separated part of a sealed value. */
function withPart(sealed: string, index: number, change: (part: Buffer) => Buffer): string {
  const parts = sealed.split('.')
  parts[index] = change(Buffer.from(parts[index]!, 'base64url')).toString('base64url')
  return parts.join('.')
}

describe('Sealer', () => {
  it('opens what it sealed, for the same context', () => {
    const sealed = sealer.seal('refresh-token-value', 'session-1')
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/)
    expect(sealer.open(sealed, 'session-1')).toBe('refresh-token-value')
  })

  it('seals the empty string and non-ASCII text', () => {
    expect(sealer.open(sealer.seal('', 'c'), 'c')).toBe('')
    expect(sealer.open(sealer.seal('clé ✓ 鍵', 'c'), 'c')).toBe('clé ✓ 鍵')
  })

  it('never gives the same output twice (random IV), and hides the plaintext', () => {
    const first = sealer.seal('same text', 'c')
    const second = sealer.seal('same text', 'c')
    expect(first).not.toBe(second)
    expect(first).not.toContain(Buffer.from('same text').toString('base64url'))
  })

  it('refuses another context: a value sealed for one session cannot be replayed for another', () => {
    const sealed = sealer.seal('secret', 'session-1')
    expect(() => sealer.open(sealed, 'session-2')).toThrow()
  })

  it('refuses another key', () => {
    const sealed = sealer.seal('secret', 'c')
    expect(() => new Sealer(randomBytes(32)).open(sealed, 'c')).toThrow()
  })

  it.each([
    ['ciphertext', 3],
    ['tag', 2],
    ['IV', 1],
  ])('refuses an altered %s', (_part, index) => {
    const sealed = sealer.seal('secret value', 'c')
    const altered = withPart(sealed, index, (part) => {
      const copy = Buffer.from(part)
      copy[0] = copy[0]! ^ 0x01
      return copy
    })
    expect(() => sealer.open(altered, 'c')).toThrow()
  })

  it('refuses a truncated tag (GCM would otherwise accept tags of 4 bytes)', () => {
    const sealed = sealer.seal('secret value', 'c')
    expect(() => sealer.open(withPart(sealed, 2, (tag) => tag.subarray(0, 4)), 'c')).toThrow('Malformed sealed value')
  })

  it.each([
    ['another version', (sealed: string) => sealed.replace(/^v1/, 'v2')],
    ['a missing part', (sealed: string) => sealed.split('.').slice(0, 3).join('.')],
    ['an extra part', (sealed: string) => `${sealed}.extra`],
    ['a short IV', (sealed: string) => withPart(sealed, 1, (iv) => iv.subarray(0, 8))],
    ['garbage', () => 'not a sealed value'],
  ])('refuses a malformed value: %s', (_case, mangle) => {
    expect(() => sealer.open(mangle(sealer.seal('secret', 'c')), 'c')).toThrow('Malformed sealed value')
  })

  it('requires a 32-byte key', () => {
    expect(() => new Sealer(randomBytes(16))).toThrow('32 bytes')
    expect(() => new Sealer(randomBytes(33))).toThrow('32 bytes')
  })
})
