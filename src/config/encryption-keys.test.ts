import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './index.js'

const current = '11'.repeat(32)
const [hexKey, base64Key] = ['22'.repeat(32), Buffer.alloc(32, 0x33).toString('base64')]
const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/plinth-keys-test', JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: current }

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('ENCRYPTION_KEY_ID and ENCRYPTION_KEYS_PREVIOUS', () => {
  it('default to key id k1 and no previous keys', () => {
    const { secrets } = loadConfig(base)
    expect(secrets.encryptionKeyId).toBe('k1')
    expect(secrets.previousEncryptionKeys).toEqual([])
  })

  it('parse id:key pairs, hex or base64, around spaces', () => {
    const { secrets } = loadConfig({ ...base, ENCRYPTION_KEY_ID: '2026-12', ENCRYPTION_KEYS_PREVIOUS: ` k1:${hexKey} , old_0:${base64Key}` })
    expect(secrets.encryptionKeyId).toBe('2026-12')
    expect(secrets.previousEncryptionKeys).toEqual([
      { id: 'k1', key: Buffer.from(hexKey, 'hex') },
      { id: 'old_0', key: Buffer.alloc(32, 0x33) },
    ])
  })

  it.each([
    ['an entry without a colon', `${hexKey}`, 'entry 1 is invalid: expected id:key'],
    ['a bad id', `k.1:${hexKey}`, 'entry 1 is invalid: expected id:key'],
    ['a short key', 'k0:abcd', 'entry 1 (key id "k0") is invalid: expected a 32-byte key'],
    ['the current id', `k1:${hexKey}`, 'entry 1 uses key id "k1", the id of ENCRYPTION_KEY'],
    ['an id twice', `k0:${hexKey},k0:${base64Key}`, 'entry 2 repeats key id "k0"'],
    ['the current key under another id', `k0:${current}`, 'entry 1 (key id "k0") is the same key as ENCRYPTION_KEY'],
    ['one key under two ids', `k0:${hexKey},k9:${hexKey.toUpperCase()}`, 'entry 2 (key id "k9") is the same key as key id "k0"'],
  ])('refuse %s, naming the entry and never the key', (_case, value, message) => {
    const found = problems({ ENCRYPTION_KEYS_PREVIOUS: value })
    expect(found).toEqual([expect.stringContaining(`ENCRYPTION_KEYS_PREVIOUS ${message}`)])
    for (const key of [hexKey, base64Key, current, 'abcd']) expect(found.join('\n')).not.toContain(key)
  })

  it('list every bad entry, with the other variables’ problems, in one error', () => {
    const found = problems({ ENCRYPTION_KEYS_PREVIOUS: `bad,k0:${hexKey},k0:${hexKey}`, PORT: 'x' })
    expect(found).toHaveLength(3)
    expect(found.join('\n')).toMatch(/PORT/)
    expect(found.join('\n')).toMatch(/entry 1 is invalid[\s\S]*entry 3 repeats/)
  })

  it('refuse previous keys without ENCRYPTION_KEY, and a malformed ENCRYPTION_KEY_ID (hidden, as a KEY variable)', () => {
    expect(problems({ ENCRYPTION_KEY: '', ENCRYPTION_KEYS_PREVIOUS: `k0:${hexKey}` })).toEqual([expect.stringContaining('ENCRYPTION_KEYS_PREVIOUS needs ENCRYPTION_KEY set')])
    expect(problems({ ENCRYPTION_KEY_ID: 'has space' })).toEqual([expect.stringMatching(/^ENCRYPTION_KEY_ID=\[hidden\] is invalid: expected the current key's id: 1–32 letters/)])
    expect(problems({ ENCRYPTION_KEY_ID: 'k'.repeat(33) })).toHaveLength(1)
  })
})
