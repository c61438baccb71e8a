import type { EncryptedDataSource } from '../crypto/encrypted-data.js'
import type { Keyring } from '../crypto/keyring.js'
import type { Db } from '../db/client.js'
import { createSealedSessionsRepository } from './sealed-sessions.repository.js'

/**
 * The core's sealed data: each live session's current refresh token (SessionService). Revoked and
 * expired sessions are never opened again, so their values are neither checked nor rotated; the
 * retention job deletes them.
 */
export function sealedSessionsData(db: Db, v1KeyId: string): EncryptedDataSource {
  const repo = createSealedSessionsRepository(db)
  return {
    name: 'sessions',
    keyIdsInUse: async () => (await repo.keyIds()).map((id) => id ?? v1KeyId),
    async rewrap(keyring: Keyring, { limit, after }) {
      const rows = await repo.notUnder(keyring.currentKeyId, after, limit)
      let rewrapped = 0
      let failed = 0
      for (const row of rows) {
        let resealed: string
        try {
          resealed = keyring.reseal(row.sealed, row.id)
        } catch {
          failed += 1
          continue
        }
        if (await repo.replaceSealed(row.id, row.sealed, resealed)) rewrapped += 1
      }
      return { rewrapped, failed, next: rows.length < limit ? null : rows.at(-1)!.id }
    },
  }
}
