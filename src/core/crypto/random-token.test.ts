import { describe, expect, it } from 'vitest'
import { hashToken, randomToken } from './random-token.js'

describe('randomToken', () => {
  it('is 256 bits in base64url, different every time', () => {
    const tokens = new Set(Array.from({ length: 100 }, randomToken))
    expect(tokens.size).toBe(100)
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    for (const token of tokens) expect(token).toMatch(/^[\w-]{43}$/)
  })
})

describe('hashToken', () => {
  it('is the SHA-256 of the token, stable, and not the token', () => {
    const token = randomToken()
    expect(hashToken(token)).toBe(hashToken(token))
    expect(hashToken(token)).not.toBe(token)
    expect(hashToken('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })
})
