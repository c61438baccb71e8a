import { createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Keyring } from './keyring.js'
import { createSignatures } from './signatures.js'

const key = randomBytes(32)
const keyring = new Keyring({ current: { id: 'k1', key }, previous: [] })
const chat = createSignatures(keyring, 'chat')

describe('createSignatures', () => {
  it('computes the same MAC piece by piece as at once, and verifies it under the key id it names', () => {
    const signer = chat.start('chat.export')
    expect(signer.keyId).toBe('k1')
    const whole = signer.update('{"a":1,').update(Buffer.from('"b":[2]}')).digest()
    expect(whole).toMatch(/^[\w-]{43}$/)
    expect(chat.start('chat.export').update('{"a":1,"b":[2]}').digest()).toBe(whole)
    expect(chat.verify('chat.export', '{"a":1,"b":[2]}', whole, 'k1')).toBe(true)
    expect(chat.verify('chat.export', Buffer.from('{"a":1,"b":[2]}'), whole, 'k1')).toBe(true)
    expect(chat.verify('chat.export', '{"a":1,"b":[2]}', whole)).toBe(true)
  })

  it('is HMAC-SHA256 under a key derived by HKDF from the master key, the namespace and the purpose (never the key itself)', () => {
    const derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'plinth signatures v1:chat:chat.export', 32))
    expect(chat.start('chat.export').update('x').digest()).toBe(createHmac('sha256', derived).update('x').digest('base64url'))
    expect(chat.start('chat.export').update('x').digest()).not.toBe(createHmac('sha256', key).update('x').digest('base64url'))
  })

  it('signs with the new key after a rotation and still verifies what the previous key signed, until that key is removed', () => {
    const before = chat.start('chat.export').update('document').digest()
    const rotated = createSignatures(new Keyring({ current: { id: 'k2', key: randomBytes(32) }, previous: [{ id: 'k1', key }] }), 'chat')
    const after = rotated.start('chat.export')
    expect(after.keyId).toBe('k2')
    const afterMac = after.update('document').digest()

    expect(rotated.verify('chat.export', 'document', before, 'k1')).toBe(true)
    expect(rotated.verify('chat.export', 'document', before)).toBe(true)
    expect(rotated.verify('chat.export', 'document', afterMac, 'k2')).toBe(true)
    // A MAC is checked only under the key it names; a key id no longer configured matches nothing.
    expect(rotated.verify('chat.export', 'document', before, 'k2')).toBe(false)
    expect(chat.verify('chat.export', 'document', afterMac, 'k2')).toBe(false)
    expect(chat.verify('chat.export', 'document', afterMac)).toBe(false)
    for (const badId of ['', 'k 1', 'x'.repeat(33), 7 as unknown as string]) expect(rotated.verify('chat.export', 'document', before, badId)).toBe(false)
  })

  it('refuses a changed byte, another purpose, another module, another key, and malformed MACs', () => {
    const mac = chat.start('chat.export').update('document').digest()
    expect(chat.verify('chat.export', 'documenT', mac, 'k1')).toBe(false)
    expect(chat.verify('chat.other', 'document', mac, 'k1')).toBe(false)
    expect(createSignatures(keyring, 'cylinders').verify('chat.export', 'document', mac, 'k1')).toBe(false)
    expect(createSignatures(new Keyring({ current: { id: 'k1', key: randomBytes(32) }, previous: [] }), 'chat').verify('chat.export', 'document', mac, 'k1')).toBe(false)
    for (const bad of ['', mac.slice(0, -1), `${mac}=`, `${mac}A`, mac.replace(/^./, '+'), 42 as unknown as string]) expect(chat.verify('chat.export', 'document', bad, 'k1')).toBe(false)
    // The same bytes spelled with other trailing bits decode alike: only the issued spelling passes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1]!
    expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(mac, 'base64url'))
    expect(chat.verify('chat.export', 'document', sibling, 'k1')).toBe(false)
  })

  it('refuses malformed purposes', () => {
    expect(() => chat.start('Chat Export')).toThrow('Invalid signature purpose')
    expect(() => chat.verify('', 'x', 'y')).toThrow('Invalid signature purpose')
  })
})
