import { createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSignatures } from './signatures.js'

const key = randomBytes(32)
const chat = createSignatures(key, 'chat')

describe('createSignatures', () => {
  it('computes the same MAC piece by piece as at once, and verifies it', () => {
    const whole = chat.start('chat.export').update('{"a":1,').update(Buffer.from('"b":[2]}')).digest()
    expect(whole).toMatch(/^[\w-]{43}$/)
    expect(chat.start('chat.export').update('{"a":1,"b":[2]}').digest()).toBe(whole)
    expect(chat.verify('chat.export', '{"a":1,"b":[2]}', whole)).toBe(true)
    expect(chat.verify('chat.export', Buffer.from('{"a":1,"b":[2]}'), whole)).toBe(true)
  })

  it('is HMAC-SHA256 under a key derived by HKDF from the encryption key, the namespace and the purpose (never the key itself)', () => {
    const derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'plinth signatures v1:chat:chat.export', 32))
    expect(chat.start('chat.export').update('x').digest()).toBe(createHmac('sha256', derived).update('x').digest('base64url'))
    expect(chat.start('chat.export').update('x').digest()).not.toBe(createHmac('sha256', key).update('x').digest('base64url'))
  })

  it('refuses a changed byte, another purpose, another module, another key, and malformed MACs', () => {
    const mac = chat.start('chat.export').update('document').digest()
    expect(chat.verify('chat.export', 'documenT', mac)).toBe(false)
    expect(chat.verify('chat.other', 'document', mac)).toBe(false)
    expect(createSignatures(key, 'cylinders').verify('chat.export', 'document', mac)).toBe(false)
    expect(createSignatures(randomBytes(32), 'chat').verify('chat.export', 'document', mac)).toBe(false)
    for (const bad of ['', mac.slice(0, -1), `${mac}=`, `${mac}A`, mac.replace(/^./, '+'), 42 as unknown as string]) expect(chat.verify('chat.export', 'document', bad)).toBe(false)
    // The same bytes spelled with other trailing bits decode alike: only the issued spelling passes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1]!
    expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(mac, 'base64url'))
    expect(chat.verify('chat.export', 'document', sibling)).toBe(false)
  })

  it('refuses a wrong key size and malformed purposes', () => {
    expect(() => createSignatures(randomBytes(16), 'chat')).toThrow('32 bytes')
    expect(() => chat.start('Chat Export')).toThrow('Invalid signature purpose')
    expect(() => chat.verify('', 'x', 'y')).toThrow('Invalid signature purpose')
  })
})
