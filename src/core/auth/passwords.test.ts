import { describe, expect, it } from 'vitest'
import { OWASP_PARAMETERS, PasswordHasher, TEST_PARAMETERS } from './passwords.js'

const hasher = new PasswordHasher(TEST_PARAMETERS)

describe('PasswordHasher', () => {
  it('hashes with argon2id and the configured parameters, salted', async () => {
    const first = await hasher.hash('a long enough passphrase')
    const second = await hasher.hash('a long enough passphrase')
    expect(first).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    expect(first).not.toBe(second)
  })

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('a long enough passphrase')
    expect(await hasher.verify(stored, 'a long enough passphrase')).toBe(true)
    expect(await hasher.verify(stored, 'a long enough passphrasE')).toBe(false)
  })

  it('refuses when there is no stored hash (unknown or deleted account), whatever the password', async () => {
    expect(await hasher.verify(undefined, 'decoy password that matches nothing')).toBe(false)
    expect(await hasher.verify(null, 'anything at all')).toBe(false)
  })

  it('refuses a stored value that is not an argon2 hash instead of throwing', async () => {
    expect(await hasher.verify('$2b$10$notargon', 'anything')).toBe(false)
    expect(await hasher.verify('', 'anything')).toBe(false)
  })

  it('verifies hashes made with other parameters (they are rehashed on sign-in)', async () => {
    const older = await new PasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 }).hash('a long enough passphrase')
    expect(await hasher.verify(older, 'a long enough passphrase')).toBe(true)
  })

  describe('needsRehash', () => {
    it('is false for a hash made with the current parameters', async () => {
      expect(hasher.needsRehash(await hasher.hash('a long enough passphrase'))).toBe(false)
    })

    it.each([
      ['memory', { ...TEST_PARAMETERS, memoryCost: 2048 }],
      ['time', { ...TEST_PARAMETERS, timeCost: 2 }],
      ['parallelism', { ...TEST_PARAMETERS, parallelism: 2 }],
    ])('is true when the %s cost differs', async (_name, parameters) => {
      expect(hasher.needsRehash(await new PasswordHasher(parameters).hash('a long enough passphrase'))).toBe(true)
    })

    it('is true for a prefix-sharing cost (m=10240 is not m=1024)', async () => {
      expect(hasher.needsRehash(await new PasswordHasher({ ...TEST_PARAMETERS, memoryCost: 10_240 }).hash('x'))).toBe(true)
    })

    it('is true for another algorithm', () => {
      expect(hasher.needsRehash('$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBe(true)
      expect(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuv')).toBe(true)
    })

    it('moves test hashes to OWASP parameters in production', async () => {
      const production = new PasswordHasher(OWASP_PARAMETERS)
      expect(production.needsRehash(await hasher.hash('x'))).toBe(true)
    })
  })
})
