import { join } from 'node:path'
import type { Config } from '../../config/index.js'
import type { Db } from '../db/client.js'
import { keyCheckSetting, keyCheckValue, SETTING } from '../secrets/boot-secrets.js'
import { createPlatformSettingsRepository } from '../secrets/platform-settings.repository.js'

/**
 * After a restore: whether the ENCRYPTION_KEY this configuration will start with is the one the restored
 * data was encrypted with (the key check value came along in the backup). Read only: Plinth's own boot
 * check decides; this tells the operator now, while the old key is still at hand, instead of at the next start.
 */
export async function restoredKeyProblem(config: Config, db: Db): Promise<string | undefined> {
  const settings = createPlatformSettingsRepository(db)
  const fromDatabase = config.secrets.fromDatabase.includes('ENCRYPTION_KEY')
  const kept = fromDatabase ? await settings.get(SETTING.encryptionKey) : undefined
  const key = kept ? Buffer.from(kept, 'hex') : config.secrets.encryptionKey
  // The check values kept per key id; a backup from before key ids has the one old check value.
  const keys = [{ id: config.secrets.encryptionKeyId, key }, ...config.secrets.previousEncryptionKeys]
  const stored = await Promise.all(keys.map(async (entry) => ({ ...entry, check: await settings.get(keyCheckSetting(entry.id)) })))
  const legacy = await settings.get(SETTING.keyCheck)
  const differs = stored.some((entry) => entry.check !== undefined && entry.check !== keyCheckValue(entry.key))
  const unmatched = stored.every((entry) => entry.check === undefined) && legacy !== undefined && !keys.some((entry) => keyCheckValue(entry.key) === legacy)
  if (!differs && !unmatched) return undefined
  const where = config.secrets.fromDataDir.includes('ENCRYPTION_KEY')
    ? `the key Plinth generated in ${join(config.dataDir, 'secrets.json')}`
    : fromDatabase
      ? 'a newly generated key (ENCRYPTION_KEY is unset and the backup kept none in the database)'
      : 'ENCRYPTION_KEY as set'
  return (
    `The restored data was encrypted with another ENCRYPTION_KEY than ${where}: Plinth will refuse to start on it. ` +
    "Start it with ENCRYPTION_KEY and JWT_SECRET set to the backed-up installation's values (on the embedded default, `encryptionKey` and `jwtSecret` in its DATA_DIR/secrets.json)."
  )
}
