import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../../../test/helpers/app.js'
import { registerUser } from '../../../test/helpers/auth.js'
import { forgetKeyring, reveal, setStoredKey, storedKeys, storeKey } from '../../../test/helpers/colorbook-ai-keys.js'
import { expectError } from '../../../test/helpers/identity.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { buildApp } from '../../app.js'
import { rotateEncryptionKey } from '../../cli/rotate-encryption-key.js'
import type { Database } from '../../core/db/client.js'

const [keyA, keyB] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')]
const before = { ENCRYPTION_KEY: keyA, ENCRYPTION_KEY_ID: 'k1' }
const during = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_KEYS_PREVIOUS: `k1:${keyA}` }
const after = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k2' }

let database: Database
let release: () => Promise<void>
beforeAll(async () => {
  ;({ database, release } = await privateDatabase())
  await forgetKeyring(database)
})
afterAll(() => release())

async function appWith(keys: Record<string, string>): Promise<FastifyInstance> {
  const built = await buildApp(testConfig(keys), { database, migrate: false })
  await built.ready()
  return built
}

describe('rotate-encryption-key and the stored AI keys', () => {
  it('a start without the key the AI keys name is refused; rotation re-wraps every data key (ciphertexts untouched) and every key still reveals with the old key gone', async () => {
    const first = await appWith(before)
    const ada = await registerUser(first)
    const stored = [await storeKey(first, ada, { provider: 'openai' }), await storeKey(first, ada, { provider: 'google' }), await storeKey(first, ada, { provider: 'custom' })]
    const sealedBefore = await storedKeys(first, ada.id)
    expect(sealedBefore.map((row) => row.keyId)).toEqual(['k1', 'k1', 'k1'])
    await first.close()

    // The old key dropped before rotating: the boot check names the AI keys, never a key.
    const refusal = await appWith(after).then(
      async (app) => {
        await app.close()
        return undefined
      },
      (err: unknown) => err as Error,
    )
    expect(refusal?.message).toContain('Stored data (colorbook) is encrypted with key id "k1", which is not configured')
    expect(refusal?.message).not.toContain(keyA)

    const { output, failed } = await rotateEncryptionKey(testConfig(during), database)
    expect(failed).toBe(false)
    expect(output).toContain('  colorbook: 3 moved\n')
    expect(output).toContain('Everything encrypted is under key id "k2".')
    expect(output).not.toContain(keyA)
    expect((await rotateEncryptionKey(testConfig(during), database)).output).toContain('  colorbook: 0 moved\n')

    const last = await appWith(after)
    try {
      const sealedAfter = await storedKeys(last, ada.id)
      expect(sealedAfter.map((row) => row.keyId)).toEqual(['k2', 'k2', 'k2'])
      expect(sealedAfter.map((row) => row.ciphertext)).toEqual(sealedBefore.map((row) => row.ciphertext))
      expect(sealedAfter.map((row) => row.wrappedDataKey)).not.toContain(sealedBefore[0]!.wrappedDataKey)
      for (const key of stored) expect((await reveal(last, ada, key.id)).json()).toEqual({ key: key.key })
      // A key id no keyring has (stored after the boot check): 409, not a 500.
      await setStoredKey(last, stored[0]!.id, { keyId: 'gone' })
      expectError(await reveal(last, ada, stored[0]!.id), 409, 'COLORBOOK_KEY_UNREADABLE')
      await setStoredKey(last, stored[0]!.id, { keyId: 'k2' })
    } finally {
      await last.close()
    }
  }, 120_000)

  it('a record that cannot be re-wrapped is counted as failed and left as it is', async () => {
    const running = await appWith(during)
    try {
      const bob = await registerUser(running)
      const good = await storeKey(running, bob)
      const bad = await storeKey(running, bob)
      // Both under k1 again, one with a wrapped key that k1 does not open.
      const wrappedA = (await storedKeys(running, bob.id)).find((row) => row.id === good.id)!
      await setStoredKey(running, good.id, { keyId: 'k1', wrappedDataKey: wrappedA.wrappedDataKey })
      await setStoredKey(running, bad.id, { keyId: 'k1', wrappedDataKey: wrappedA.wrappedDataKey })
      const { output, failed } = await rotateEncryptionKey(testConfig(during), database)
      expect(failed).toBe(true)
      expect(output).toContain('  colorbook: 0 moved, 2 could not be opened (left as they are)\n')
      expect((await storedKeys(running, bob.id)).map((row) => row.keyId)).toEqual(['k1', 'k1'])
      // Put back under k2 so nothing else in this database names k1.
      await setStoredKey(running, good.id, { keyId: 'k2' })
      await setStoredKey(running, bad.id, { keyId: 'k2' })
      expect((await reveal(running, bob, good.id)).json()).toEqual({ key: good.key })
    } finally {
      await running.close()
    }
  }, 120_000)
})
