import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Keyring, UnknownKeyIdError, type SealedRecord } from './keyring.js'
import { Sealer } from './seal.js'

const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)]
const old = new Keyring({ current: { id: 'k1', key: a }, previous: [] })
const rotated = new Keyring({ current: { id: 'k2', key: b }, previous: [{ id: 'k1', key: a }] })
const withoutOld = new Keyring({ current: { id: 'k2', key: b }, previous: [] })

/** Flips one bit of the first byte of part `index` of a dot-separated base64url value. */
function flip(value: string, index: number): string {
  const parts = value.split('.')
  const bytes = Buffer.from(parts[index]!, 'base64url')
  bytes[0] = bytes[0]! ^ 0x01
  parts[index] = bytes.toString('base64url')
  return parts.join('.')
}

describe('Keyring records (envelope encryption)', () => {
  const aad = 'colorbook.ai_keys:owner-1:record-1'

  it('opens what it sealed, names the current key id, and hides the plaintext', () => {
    const record = rotated.sealRecord('sk-secret-value', aad)
    expect(record.keyId).toBe('k2')
    expect(record.ciphertext).toMatch(/^[\w-]{16}\.[\w-]{22}\.[\w-]+$/)
    expect(record.wrappedKey).toMatch(/^[\w-]{16}\.[\w-]{22}\.[\w-]{43}$/)
    expect(JSON.stringify(record)).not.toContain('sk-secret-value')
    expect(JSON.stringify(record)).not.toContain(Buffer.from('sk-secret-value').toString('base64url'))
    expect(rotated.openRecord(record, aad)).toBe('sk-secret-value')
  })

  it('uses a new data key for every record', () => {
    const [first, second] = [old.sealRecord('same', aad), old.sealRecord('same', aad)]
    expect(first.wrappedKey).not.toBe(second.wrappedKey)
    expect(first.ciphertext).not.toBe(second.ciphertext)
    // A data key belongs to its record: another record's wrapped key does not open it.
    expect(() => old.openRecord({ ...first, wrappedKey: second.wrappedKey }, aad)).toThrow()
  })

  it.each([
    ['another record id', 'colorbook.ai_keys:owner-1:record-2'],
    ['another owner', 'colorbook.ai_keys:owner-2:record-1'],
  ])('refuses %s in the associated data', (_case, other) => {
    expect(() => old.openRecord(old.sealRecord('secret', aad), other)).toThrow()
  })

  it.each([
    ['ciphertext IV', 'ciphertext', 0],
    ['ciphertext tag', 'ciphertext', 1],
    ['ciphertext', 'ciphertext', 2],
    ['wrapped key IV', 'wrappedKey', 0],
    ['wrapped key tag', 'wrappedKey', 1],
    ['wrapped key', 'wrappedKey', 2],
  ] as const)('refuses an altered %s', (_case, field, index) => {
    const record = old.sealRecord('secret', aad)
    expect(() => old.openRecord({ ...record, [field]: flip(record[field], index) }, aad)).toThrow()
  })

  it('refuses another key id: a configured one (other master key) or an unknown one', () => {
    const record = rotated.sealRecord('secret', aad)
    expect(() => rotated.openRecord({ ...record, keyId: 'k1' }, aad)).toThrow()
    expect(() => rotated.openRecord({ ...record, keyId: 'k9' }, aad)).toThrow(UnknownKeyIdError)
    // The key id is bound into the wrapping: the same key under another id does not open it.
    const sameKeyOtherId = new Keyring({ current: { id: 'k3', key: b }, previous: [] })
    expect(() => sameKeyOtherId.openRecord({ ...record, keyId: 'k3' }, aad)).toThrow()
  })

  it('rewraps a data key under the current key, leaving the ciphertext, so it opens without the old key', () => {
    const record = old.sealRecord('secret', aad)
    const moved = rotated.rewrap(record.wrappedKey, record.keyId)
    expect(moved.keyId).toBe('k2')
    expect(moved.wrappedKey).not.toBe(record.wrappedKey)
    const after: SealedRecord = { ciphertext: record.ciphertext, ...moved }
    expect(withoutOld.openRecord(after, aad)).toBe('secret')
    expect(() => withoutOld.openRecord(record, aad)).toThrow(UnknownKeyIdError)
    expect(() => rotated.rewrap(flip(record.wrappedKey, 2), 'k1')).toThrow()
  })

  it('never puts a key in an error message', () => {
    const record = rotated.sealRecord('secret', aad)
    const errors = [() => withoutOld.openRecord({ ...record, keyId: 'k1' }, aad), () => rotated.openRecord({ ...record, keyId: 'k1' }, aad)].map((open) => {
      try {
        open()
        return ''
      } catch (error) {
        return String((error as Error).message)
      }
    })
    for (const message of errors) for (const key of [a, b]) for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(message).not.toContain(key.toString(encoding))
  })
})

describe('Keyring sealed values (v2 with key ids, v1 from before)', () => {
  it('seals as v2.<keyId> and opens its own values, bound to the context', () => {
    const sealed = rotated.seal('refresh-token', 'session-1')
    expect(sealed).toMatch(/^v2\.k2\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/)
    expect(rotated.keyIdOf(sealed)).toBe('k2')
    expect(rotated.open(sealed, 'session-1')).toBe('refresh-token')
    expect(() => rotated.open(sealed, 'session-2')).toThrow()
  })

  it('opens a previous key’s values, and reseals them under the current key', () => {
    const sealed = old.seal('refresh-token', 's')
    expect(rotated.open(sealed, 's')).toBe('refresh-token')
    const resealed = rotated.reseal(sealed, 's')
    expect(resealed).toMatch(/^v2\.k2\./)
    expect(withoutOld.open(resealed, 's')).toBe('refresh-token')
    expect(() => withoutOld.open(sealed, 's')).toThrow(UnknownKeyIdError)
    // Already under the current key: unchanged.
    expect(rotated.reseal(resealed, 's')).toBe(resealed)
  })

  it('refuses a value whose key id was changed, and altered parts', () => {
    const sealed = old.seal('secret', 's')
    const renamed = sealed.replace(/^v2\.k1\./, 'v2.k2.')
    expect(() => new Keyring({ current: { id: 'k2', key: a }, previous: [] }).open(renamed, 's')).toThrow()
    for (const index of [2, 3, 4]) expect(() => old.open(flip(sealed, index), 's')).toThrow()
    expect(() => old.open('v3.k1.x.y.z', 's')).toThrow('Malformed sealed value')
    expect(() => old.open('v2.bad.id!.x.y', 's')).toThrow()
  })

  it('opens v1 values (from before key ids) with the key recorded for them, which may be a previous one', () => {
    const v1 = new Sealer(a).seal('legacy', 's')
    const recorded = new Keyring({ current: { id: 'k2', key: b }, previous: [{ id: 'k1', key: a }], v1KeyId: 'k1' })
    expect(recorded.keyIdOf(v1)).toBe('k1')
    expect(recorded.open(v1, 's')).toBe('legacy')
    expect(recorded.reseal(v1, 's')).toMatch(/^v2\.k2\./)
    // Unrecorded: v1 values are the current key's.
    expect(old.open(v1, 's')).toBe('legacy')
    expect(() => new Keyring({ current: { id: 'k2', key: b }, previous: [], v1KeyId: 'k1' }).open(v1, 's')).toThrow(UnknownKeyIdError)
  })

  it('refuses a bad configuration', () => {
    expect(() => new Keyring({ current: { id: 'k1', key: randomBytes(16) }, previous: [] })).toThrow('32 bytes')
    expect(() => new Keyring({ current: { id: 'k.1', key: a }, previous: [] })).toThrow('Invalid key id')
    expect(() => new Keyring({ current: { id: 'k1', key: a }, previous: [{ id: 'k1', key: c }] })).toThrow('twice')
  })
})
