import { createHmac, timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import { ConfigError, type Config, type SecretName } from '../../config/index.js'
import { Sealer } from '../crypto/seal.js'
import type { Db } from '../db/client.js'
import { createPlatformSettingsRepository, type PlatformSettingsRepository } from './platform-settings.repository.js'

/** Setting names in `platform_settings`. */
export const SETTING = {
  jwtSecret: 'jwt_secret',
  encryptionKey: 'encryption_key',
  /** The check value of the one key from before key ids (written by earlier versions; read, never written now). */
  keyCheck: 'encryption_key_check',
  /** The id of the key `v1.` sealed values were made with, recorded by the first start with key ids. */
  v1KeyId: 'encryption_key_v1_id',
} as const

/** The setting holding key id `id`'s check value. */
export const keyCheckSetting = (id: string): string => `encryption_key_check:${id}`

const CHECK_LABEL = 'plinth encryption key check v1'
const CHECK_PREFIX = 'hmac-sha256:'

/**
 * The key check value: HMAC-SHA256 of a fixed label under the key. It tells whether a key is the one
 * the data was written with, and reveals nothing about the key.
 */
export function keyCheckValue(key: Buffer): string {
  return CHECK_PREFIX + createHmac('sha256', key).update(CHECK_LABEL).digest('base64url')
}

/**
 * Boot step, after migrations and before anything signs or encrypts: adopts the secrets kept in the
 * database for those the environment leaves out (development with DATABASE_URL), then checks every
 * configured master key (ENCRYPTION_KEY and ENCRYPTION_KEYS_PREVIOUS) against the check value stored
 * for its key id, writing those not stored yet, and records which key `v1.` values were made with.
 * A key that is not the one its id stands for stops the start (ConfigError naming the variable and
 * the id, never the key). Whether stored data names ids that are not configured is checked once the
 * modules are loaded (src/core/crypto/encrypted-data.ts).
 */
export async function resolveBootSecrets(config: Config, db: Db): Promise<Config> {
  const settings = createPlatformSettingsRepository(db)
  const shared = new Set<SecretName>(config.secrets.fromDatabase)
  const jwtSecret = shared.has('JWT_SECRET') ? await settings.claim(SETTING.jwtSecret, config.secrets.jwtSecret) : config.secrets.jwtSecret
  const encryptionKey = shared.has('ENCRYPTION_KEY')
    ? Buffer.from(await settings.claim(SETTING.encryptionKey, config.secrets.encryptionKey.toString('hex')), 'hex')
    : config.secrets.encryptionKey
  const origin: KeyOrigin = shared.has('ENCRYPTION_KEY') ? 'database' : config.secrets.fromDataDir.includes('ENCRYPTION_KEY') ? 'dataDir' : 'environment'
  const keys: CheckedKey[] = [
    { id: config.secrets.encryptionKeyId, key: encryptionKey, variable: 'ENCRYPTION_KEY' },
    ...config.secrets.previousEncryptionKeys.map((key) => ({ ...key, variable: 'ENCRYPTION_KEYS_PREVIOUS' as const })),
  ]
  for (const key of keys) {
    const stored = await settings.get(keyCheckSetting(key.id))
    if (stored !== undefined && !sameText(stored, keyCheckValue(key.key))) throw wrongKey(key, origin, config.dataDir)
  }
  const v1KeyId = await recordV1KeyId(settings, keys, origin, config.dataDir)
  // Written only once every key passed; of instances starting at once, the first one's value stays.
  for (const key of keys) {
    if (!sameText(await settings.claim(keyCheckSetting(key.id), keyCheckValue(key.key)), keyCheckValue(key.key))) throw wrongKey(key, origin, config.dataDir)
  }
  return Object.freeze({ ...config, secrets: Object.freeze({ ...config.secrets, jwtSecret, encryptionKey, v1KeyId }) })
}

interface CheckedKey {
  readonly id: string
  readonly key: Buffer
  readonly variable: 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS_PREVIOUS'
}

/** Where the key being checked came from: the operator's ENCRYPTION_KEY, or one Plinth generated and kept. */
type KeyOrigin = 'environment' | 'database' | 'dataDir'

/**
 * The id of the key `v1.` values were sealed with: as recorded; on a database from before key ids,
 * the configured key matching the old single check value (or, from before check values, the one that
 * opens a stored session); on a new database, the current key's.
 */
async function recordV1KeyId(settings: PlatformSettingsRepository, keys: readonly CheckedKey[], origin: KeyOrigin, dataDir: string): Promise<string> {
  const recorded = await settings.get(SETTING.v1KeyId)
  if (recorded !== undefined) return recorded
  const current = keys[0]!
  const legacy = await settings.get(SETTING.keyCheck)
  let found: CheckedKey | undefined = current
  if (legacy !== undefined) {
    found = keys.find((key) => sameText(keyCheckValue(key.key), legacy))
  } else {
    const sample = await settings.sealedSample()
    if (sample?.sealed.startsWith('v1.')) found = keys.find((key) => opens(key.key, sample.sealed, sample.id))
  }
  if (!found) throw wrongKey(current, origin, dataDir)
  return settings.claim(SETTING.v1KeyId, found.id)
}

function opens(key: Buffer, sealed: string, context: string): boolean {
  try {
    new Sealer(key).open(sealed, context)
    return true
  } catch {
    return false
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function wrongKey(key: CheckedKey, origin: KeyOrigin, dataDir: string): ConfigError {
  if (key.variable === 'ENCRYPTION_KEYS_PREVIOUS') {
    return new ConfigError([
      `ENCRYPTION_KEYS_PREVIOUS: key id "${key.id}" is not the key the data in this database names with that id (its key check value differs): give that id its original key; starting with another would leave the data unreadable`,
    ])
  }
  const messages: Record<KeyOrigin, string> = {
    database:
      'ENCRYPTION_KEY is unset and the key kept in the database does not match the data stored there: set ENCRYPTION_KEY to the key the data was encrypted with',
    dataDir:
      `ENCRYPTION_KEY is unset, so Plinth used the key it generated and keeps in ${join(dataDir, 'secrets.json')}, and that is not the key the data in this database was encrypted with: ` +
      'the file was probably lost or replaced (it is generated anew when missing). Restore DATA_DIR/secrets.json from a backup, or set ENCRYPTION_KEY to the original key; starting with another would leave the data unreadable',
    environment:
      `ENCRYPTION_KEY is not the key the data in this database was encrypted with (its key check value for key id "${key.id}" differs): set ENCRYPTION_KEY to that key; ` +
      'starting with another would leave the data unreadable. A new key takes a new ENCRYPTION_KEY_ID, with the old key kept in ENCRYPTION_KEYS_PREVIOUS (docs/deploy.md, Encryption keys)',
  }
  return new ConfigError([messages[origin]])
}
