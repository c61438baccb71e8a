import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { call } from '../../../test/helpers/colorbook.js'
import { aiKeyAudit, encodingsOf, providerKey, reveal, setStoredKey, storedKey, storedKeys, storeKey } from '../../../test/helpers/colorbook-ai-keys.js'
import { expectError } from '../../../test/helpers/identity.js'
import { captureLogs } from '../../../test/helpers/logs.js'

const logs = captureLogs()
const app = useTestApp({ env: { LOG_LEVEL: 'trace' }, logStream: logs.stream })

describe('POST /api/ai-keys and GET /api/ai-keys', () => {
  it('stores the key sealed (201, never in the answer), lists it by provider, label and last4, and audits it without the key', async () => {
    const ada = await loginAs(app())
    const key = providerKey('sk-proj-')
    const response = await call(app(), ada, 'POST', '/api/ai-keys', { provider: 'anthropic', label: '  Studio  ', key })
    expect(response.statusCode, response.body).toBe(201)
    const created = response.json()
    expect(created).toEqual({ id: expect.any(String), provider: 'anthropic', label: 'Studio', last4: key.slice(-4), createdAt: expect.stringMatching(/Z$/), lastRevealedAt: null })
    expect(response.body).not.toContain(key.slice(0, -4))

    const row = (await storedKey(app(), created.id))!
    expect(row).toMatchObject({ userId: ada.id, provider: 'anthropic', label: 'Studio', last4: key.slice(-4), keyId: 'k1' })
    const stored = JSON.stringify(row)
    for (const form of encodingsOf(key)) expect(stored).not.toContain(form)

    const list = await call(app(), ada, 'GET', '/api/ai-keys')
    expect(list.statusCode).toBe(200)
    expect(list.json()).toEqual({ items: [created], nextCursor: null })
    expect(list.body).not.toContain(key)

    const audit = await aiKeyAudit(app(), ada.id)
    expect(audit.map((entry) => [entry.action, entry.details])).toEqual([['colorbook.ai_key.created', { aiKeyId: created.id, provider: 'anthropic' }]])
  })

  it('lists the caller’s keys only, newest first, a page at a time', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    const first = await storeKey(app(), ada, { provider: 'openai' })
    const second = await storeKey(app(), ada, { provider: 'google' })
    await storeKey(app(), bob)
    const page1 = (await call(app(), ada, 'GET', '/api/ai-keys?limit=1')).json()
    expect(page1.items.map((k: { id: string }) => k.id)).toEqual([second.id])
    expect(page1.nextCursor).toEqual(expect.any(String))
    const page2 = (await call(app(), ada, 'GET', `/api/ai-keys?limit=1&cursor=${page1.nextCursor}`)).json()
    expect(page2).toEqual({ items: [expect.objectContaining({ id: first.id, provider: 'openai' })], nextCursor: null })
    expectError(await call(app(), ada, 'GET', '/api/ai-keys?cursor=bogus'), 400, 'INVALID_CURSOR')
  })

  it('refuses bad input with 400 and stores nothing', async () => {
    const ada = await loginAs(app())
    const key = providerKey()
    const bad = [
      { provider: 'mistral', key },
      { provider: 'openai', key, extra: true },
      { provider: 'openai' },
      { provider: 'openai', key: 'short-key' },
      { provider: 'openai', key: 'x'.repeat(4097) },
      { provider: 'openai', key: ` ${key}` },
      { provider: 'openai', key: `${key}\n` },
      { provider: 'openai', key: 1234567890123456 },
      { provider: 'openai', key, label: '   ' },
      { provider: 'openai', key, label: 'x'.repeat(101) },
    ]
    for (const body of bad) expectError(await call(app(), ada, 'POST', '/api/ai-keys', body), 400, 'VALIDATION_FAILED')
    expect(await storedKeys(app(), ada.id)).toEqual([])
    expectError(await call(app(), undefined, 'POST', '/api/ai-keys', { provider: 'openai', key }), 401, 'UNAUTHENTICATED')
    expectError(await call(app(), undefined, 'GET', '/api/ai-keys'), 401, 'UNAUTHENTICATED')
  })

  it('accepts every provider and keys up to 4,096 characters', async () => {
    const ada = await loginAs(app())
    for (const provider of ['openai', 'anthropic', 'stability', 'replicate', 'google', 'custom']) await storeKey(app(), ada, { provider })
    const long = await storeKey(app(), ada, { provider: 'custom', key: `{"k":"${'a'.repeat(4080)}"}` })
    expect((await reveal(app(), ada, long.id)).json()).toEqual({ key: long.key })
    expect((await storedKeys(app(), ada.id)).map((row) => row.provider).sort()).toEqual(['anthropic', 'custom', 'custom', 'google', 'openai', 'replicate', 'stability'])
  })
})

describe('POST /api/ai-keys/:id/reveal', () => {
  it('gives the owner the key with the right password, not cached, records lastRevealedAt and audits it', async () => {
    const ada = await loginAs(app())
    const stored = await storeKey(app(), ada, { provider: 'replicate' })
    const response = await reveal(app(), ada, stored.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ key: stored.key })
    expect(response.headers['cache-control']).toBe('no-store')
    const row = (await storedKey(app(), stored.id))!
    expect(row.lastRevealedAt).toBeInstanceOf(Date)
    const listed = (await call(app(), ada, 'GET', '/api/ai-keys')).json().items[0]
    expect(listed.lastRevealedAt).toBe(row.lastRevealedAt!.toISOString())
    const audit = await aiKeyAudit(app(), ada.id)
    expect(audit.map((entry) => entry.action)).toEqual(['colorbook.ai_key.created', 'colorbook.ai_key.revealed'])
    expect(audit[1]).toMatchObject({ details: { aiKeyId: stored.id, provider: 'replicate' }, ip: '127.0.0.1' })
    for (const form of encodingsOf(stored.key)) expect(JSON.stringify(audit)).not.toContain(form)
  })

  it('refuses a wrong password with 403 COLORBOOK_PASSWORD_INCORRECT, audited, revealing and recording nothing', async () => {
    const ada = await loginAs(app())
    const stored = await storeKey(app(), ada)
    const response = await reveal(app(), ada, stored.id, 'not my password at all')
    const error = expectError(response, 403, 'COLORBOOK_PASSWORD_INCORRECT')
    expect(JSON.stringify(error)).not.toContain(stored.key)
    expect((await storedKey(app(), stored.id))!.lastRevealedAt).toBeNull()
    expect((await aiKeyAudit(app(), ada.id)).map((entry) => [entry.action, entry.details])).toEqual([
      ['colorbook.ai_key.created', { aiKeyId: stored.id, provider: 'openai' }],
      ['colorbook.ai_key.reveal_refused', { aiKeyId: stored.id, provider: 'openai', reason: 'password_incorrect' }],
    ])
    expectError(await call(app(), ada, 'POST', `/api/ai-keys/${stored.id}/reveal`, {}), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', `/api/ai-keys/${stored.id}/reveal`, { password: ada.password, also: 1 }), 400, 'VALIDATION_FAILED')
  })

  it('answers 404 for another user’s key, even with their own correct password, and for an unknown id', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    const adas = await storeKey(app(), ada)
    expectError(await reveal(app(), bob, adas.id), 404, 'NOT_FOUND')
    expectError(await reveal(app(), bob, adas.id, ada.password), 404, 'NOT_FOUND')
    expectError(await reveal(app(), ada, '0190a0b0-0000-7000-8000-000000000000'), 404, 'NOT_FOUND')
    expectError(await call(app(), bob, 'DELETE', `/api/ai-keys/${adas.id}`), 404, 'NOT_FOUND')
    expect((await call(app(), bob, 'GET', '/api/ai-keys')).json().items).toEqual([])
    expect(await storedKey(app(), adas.id)).toMatchObject({ lastRevealedAt: null })
    expect(await aiKeyAudit(app(), bob.id)).toEqual([])
  })

  it('allows 10 attempts an hour per user, then 429 RATE_LIMITED with Retry-After; others are not affected', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    const stored = await storeKey(app(), ada)
    for (let i = 0; i < 8; i += 1) expect((await reveal(app(), ada, stored.id)).statusCode).toBe(200)
    expectError(await reveal(app(), ada, stored.id, 'a wrong one counts too'), 403, 'COLORBOOK_PASSWORD_INCORRECT')
    // The tenth attempt, twice at once: one gets through.
    const both = await Promise.all([reveal(app(), ada, stored.id), reveal(app(), ada, stored.id)])
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 429])
    const refused = await reveal(app(), ada, stored.id)
    const error = expectError(refused, 429, 'RATE_LIMITED')
    expect(error.details).toEqual({ limitPerHour: 10, retryAfterSeconds: expect.any(Number) })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000)
    expect(refused.body).not.toContain(stored.key)
    expect((await aiKeyAudit(app(), ada.id)).filter((entry) => entry.action === 'colorbook.ai_key.revealed')).toHaveLength(9)
    const bobs = await storeKey(app(), bob)
    expect((await reveal(app(), bob, bobs.id)).statusCode).toBe(200)
  })

  it('a tampered ciphertext or wrapped key, or a record moved to another id or owner, answers 409 COLORBOOK_KEY_UNREADABLE (never the key, never a 500)', async () => {
    const ada = await loginAs(app())
    const one = await storeKey(app(), ada)
    const two = await storeKey(app(), ada)
    const three = await storeKey(app(), ada)
    const rowOne = (await storedKey(app(), one.id))!
    const [iv, tag, body] = rowOne.ciphertext.split('.') as [string, string, string]
    const flipped = `${body.startsWith('A') ? 'B' : 'A'}${body.slice(1)}`
    await setStoredKey(app(), one.id, { ciphertext: `${iv}.${tag}.${flipped}` })
    const rowThree = (await storedKey(app(), three.id))!
    // The first character of the wrapped key's IV (16 base64url characters, no padding bits).
    await setStoredKey(app(), three.id, { wrappedDataKey: `${rowThree.wrappedDataKey.startsWith('A') ? 'B' : 'A'}${rowThree.wrappedDataKey.slice(1)}` })
    // Key two's sealed record copied onto another id (and owner check passes): the associated data no longer matches.
    const rowTwo = (await storedKey(app(), two.id))!
    const moved = await storeKey(app(), ada)
    await setStoredKey(app(), moved.id, { ciphertext: rowTwo.ciphertext, wrappedDataKey: rowTwo.wrappedDataKey, keyId: rowTwo.keyId })

    // Bob's row holding Ada's sealed key: bound to another owner.
    const bob = await loginAs(app())
    const bobs = await storeKey(app(), bob)
    await setStoredKey(app(), bobs.id, { ciphertext: rowTwo.ciphertext, wrappedDataKey: rowTwo.wrappedDataKey, keyId: rowTwo.keyId })
    expect(expectError(await reveal(app(), bob, bobs.id), 409, 'COLORBOOK_KEY_UNREADABLE').details).toEqual({ id: bobs.id })

    for (const id of [one.id, three.id, moved.id]) {
      const response = await reveal(app(), ada, id)
      expect(expectError(response, 409, 'COLORBOOK_KEY_UNREADABLE').details).toEqual({ id })
      expect((await storedKey(app(), id))!.lastRevealedAt).toBeNull()
    }
    expect((await reveal(app(), ada, two.id)).json()).toEqual({ key: two.key })
    const line = await logs.waitForLine((l) => l.msg === 'a stored AI key does not open' && l.aiKeyId === moved.id)
    expect(line).toMatchObject({ level: 50, keyId: 'k1' })
  })
})

describe('DELETE /api/ai-keys/:id', () => {
  it('deletes the owner’s key (204, audited); again is 404', async () => {
    const ada = await loginAs(app())
    const stored = await storeKey(app(), ada, { provider: 'stability' })
    const response = await call(app(), ada, 'DELETE', `/api/ai-keys/${stored.id}`)
    expect(response.statusCode, response.body).toBe(204)
    expect(await storedKey(app(), stored.id)).toBeUndefined()
    expectError(await call(app(), ada, 'DELETE', `/api/ai-keys/${stored.id}`), 404, 'NOT_FOUND')
    expectError(await reveal(app(), ada, stored.id), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'DELETE', '/api/ai-keys/not-a-uuid'), 400, 'VALIDATION_FAILED')
    expect((await aiKeyAudit(app(), ada.id)).map((entry) => [entry.action, entry.details])).toEqual([
      ['colorbook.ai_key.created', { aiKeyId: stored.id, provider: 'stability' }],
      ['colorbook.ai_key.deleted', { aiKeyId: stored.id, provider: 'stability' }],
    ])
  })
})

describe('the user’s data', () => {
  it('the export lists the keys by provider and last4 only; deleting the account erases them', async () => {
    const ada = await loginAs(app())
    const bob = await loginAs(app())
    const stored = await storeKey(app(), ada, { provider: 'google', label: 'Phone' })
    await reveal(app(), ada, stored.id)
    const bobs = await storeKey(app(), bob)
    const exported = await app().inject({ url: `/api/users/${ada.id}/export`, headers: ada.headers })
    expect(exported.statusCode, exported.body).toBe(200)
    expect(exported.json().modules.colorbook.aiKeys).toEqual([
      { id: stored.id, provider: 'google', label: 'Phone', last4: stored.key.slice(-4), createdAt: stored.createdAt, lastRevealedAt: expect.stringMatching(/Z$/) },
    ])
    for (const form of encodingsOf(stored.key)) expect(exported.body).not.toContain(form)
    expect(exported.body).not.toContain((await storedKey(app(), stored.id))!.ciphertext)

    expect((await app().inject({ method: 'DELETE', url: `/api/users/${ada.id}`, headers: ada.headers })).statusCode).toBe(204)
    // The platform runs the module's cleanup in a job after the answer.
    await expect.poll(async () => (await storedKeys(app(), ada.id)).length, { timeout: 15_000 }).toBe(0)
    expect(await storedKey(app(), bobs.id)).toBeDefined()
  })
})

describe('logs', () => {
  it('never contain a key, whatever happened to it', async () => {
    const ada = await loginAs(app())
    const stored = await storeKey(app(), ada)
    await reveal(app(), ada, stored.id)
    await reveal(app(), ada, stored.id, 'wrong password here')
    await call(app(), ada, 'POST', '/api/ai-keys', { provider: 'nope', key: stored.key })
    const broken = await storeKey(app(), ada)
    await setStoredKey(app(), broken.id, { ciphertext: (await storedKey(app(), stored.id))!.ciphertext })
    await reveal(app(), ada, broken.id)
    await logs.waitForLine((l) => l.msg === 'a stored AI key does not open' && l.aiKeyId === broken.id)
    await call(app(), ada, 'DELETE', `/api/ai-keys/${stored.id}`)
    expect(logs.lines.length).toBeGreaterThan(0)
    const all = logs.lines.join('')
    for (const key of [stored.key, broken.key]) for (const form of encodingsOf(key)) expect(all).not.toContain(form)
    expect(all).not.toContain(ada.password)
  })
})
