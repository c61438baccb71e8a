import type { FastifyBaseLogger } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { UnitOfWork } from '../db/unit-of-work.js'
import { API_KEY_SETTINGS, ApiKeyAuthenticator, newApiKeySecret, type ApiKeyRepos } from './api-key-authenticator.js'
import type { ApiKeyLookup } from './api-keys.repository.js'
import { RevocationList } from './revocations.js'

const log = { error: () => {}, warn: () => {} } as unknown as FastifyBaseLogger
const real = newApiKeySecret()
const found: ApiKeyLookup = { id: 'k1', userId: 'u1', scopes: ['probe:read'], expiresAt: null, revokedAt: null, owner: { role: 'user', disabled: false, deletedAt: null } }
const attacker = { ip: '203.0.113.9', userAgent: null }
const owner = { ip: '198.51.100.1', userAgent: null }

const open: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of open.splice(0)) await close()
})

/** An authenticator over a fake repository that knows one key; the spy counts database reads. */
async function setup(settings: Partial<typeof API_KEY_SETTINGS> = {}) {
  const findByHash = vi.fn(async (hash: string) => (hash === real.tokenHash ? found : undefined))
  const repos = { apiKeys: { findByHash, touch: async () => ({ audit: false }) }, audit: { append: async () => {} } } as unknown as ApiKeyRepos
  const store: UnitOfWork<ApiKeyRepos> = { repos, transaction: (work) => work(repos) }
  const revocations = new RevocationList(60_000, async () => [], log)
  await revocations.start()
  const keys = new ApiKeyAuthenticator(store, revocations, log, { ...API_KEY_SETTINGS, ...settings })
  open.push(async () => {
    await keys.close()
    await revocations.stop()
  })
  return { keys, findByHash }
}

const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { code?: string }) => error.code)

describe('ApiKeyAuthenticator under a flood of random keys', () => {
  it('unknown keys never evict a cached real key: its next use reads nothing', async () => {
    // A cache of 5 real keys, and no per-IP limit in the way: only the separate miss cache protects it.
    const { keys, findByHash } = await setup({ cacheSize: 5, missCacheSize: 5, unknownKeysPerIpPerMinute: 1_000_000 })
    expect((await keys.verify(real.secret, owner)).id).toBe('u1')
    expect(findByHash).toHaveBeenCalledTimes(1)

    for (let i = 0; i < 200; i++) expect(await refusal(keys.verify(newApiKeySecret().secret, attacker))).toBe('API_KEY_INVALID')
    expect(findByHash).toHaveBeenCalledTimes(201)

    findByHash.mockClear()
    expect((await keys.verify(real.secret, owner)).id).toBe('u1')
    expect(findByHash).not.toHaveBeenCalled()
  })

  it(`past ${API_KEY_SETTINGS.unknownKeysPerIpPerMinute} unknown keys a minute, an IP's uncached keys are refused without a lookup`, async () => {
    const { keys, findByHash } = await setup()
    const limit = API_KEY_SETTINGS.unknownKeysPerIpPerMinute
    // In parallel: the points are spent before the reads, so a concurrent burst is bounded too.
    const burst = await Promise.all(Array.from({ length: limit + 20 }, () => refusal(keys.verify(newApiKeySecret().secret, attacker))))
    expect(new Set(burst)).toEqual(new Set(['API_KEY_INVALID']))
    expect(findByHash).toHaveBeenCalledTimes(limit)

    for (let i = 0; i < 50; i++) expect(await refusal(keys.verify(newApiKeySecret().secret, attacker))).toBe('API_KEY_INVALID')
    expect(await refusal(keys.verify(real.secret, attacker))).toBe('API_KEY_INVALID')
    expect(findByHash).toHaveBeenCalledTimes(limit)

    // Other clients are not affected, and a key once found keeps working from the limited IP while cached.
    expect((await keys.verify(real.secret, owner)).id).toBe('u1')
    expect((await keys.verify(real.secret, attacker)).id).toBe('u1')
    expect(findByHash).toHaveBeenCalledTimes(limit + 1)
  })

  it('a real key found does not spend its IP’s allowance, and a repeated unknown key is not read again', async () => {
    const { keys, findByHash } = await setup({ unknownKeysPerIpPerMinute: 2 })
    const wrong = newApiKeySecret().secret
    for (let i = 0; i < 5; i++) expect(await refusal(keys.verify(wrong, attacker))).toBe('API_KEY_INVALID')
    expect(findByHash).toHaveBeenCalledTimes(1)

    // The real key read five times from one IP (the cache dropped each time): its allowance is intact.
    const { keys: fresh, findByHash: reads } = await setup({ unknownKeysPerIpPerMinute: 2 })
    for (let i = 0; i < 5; i++) {
      expect((await fresh.verify(real.secret, owner)).id).toBe('u1')
      await fresh.announceOwnerChanged('u1')
    }
    expect(reads).toHaveBeenCalledTimes(5)
    expect(await refusal(fresh.verify(newApiKeySecret().secret, owner))).toBe('API_KEY_INVALID')
    expect(await refusal(fresh.verify(newApiKeySecret().secret, owner))).toBe('API_KEY_INVALID')
    const before = reads.mock.calls.length
    expect(await refusal(fresh.verify(newApiKeySecret().secret, owner))).toBe('API_KEY_INVALID')
    expect(reads).toHaveBeenCalledTimes(before)
  })
})
