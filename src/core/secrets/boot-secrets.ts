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
  keyCheck: 'encryption_key_check',
} as const

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
 * database for those the environment leaves out (development with DATABASE_URL), then checks
 * ENCRYPTION_KEY against the check value stored by the first start, writing it if there is none.
 * A key that cannot read the stored data stops the start (ConfigError naming ENCRYPTION_KEY).
 */
export async function resolveBootSecrets(config: Config, db: Db): Promise<Config> {
  const settings = createPlatformSettingsRepository(db)
  const shared = new Set<SecretName>(config.secrets.fromDatabase)
  const jwtSecret = shared.has('JWT_SECRET') ? await settings.claim(SETTING.jwtSecret, config.secrets.jwtSecret) : config.secrets.jwtSecret
  const encryptionKey = shared.has('ENCRYPTION_KEY')
    ? Buffer.from(await settings.claim(SETTING.encryptionKey, config.secrets.encryptionKey.toString('hex')), 'hex')
    : config.secrets.encryptionKey
  const origin: KeyOrigin = shared.has('ENCRYPTION_KEY') ? 'database' : config.secrets.fromDataDir.includes('ENCRYPTION_KEY') ? 'dataDir' : 'environment'
  await checkEncryptionKey(settings, encryptionKey, origin, config.dataDir)
  return Object.freeze({ ...config, secrets: Object.freeze({ ...config.secrets, jwtSecret, encryptionKey }) })
}

/** Where the key being checked came from: the operator's ENCRYPTION_KEY, or one Plinth generated and kept. */
type KeyOrigin = 'environment' | 'database' | 'dataDir'

async function checkEncryptionKey(settings: PlatformSettingsRepository, key: Buffer, origin: KeyOrigin, dataDir: string): Promise<void> {
  const expected = keyCheckValue(key)
  let stored = await settings.get(SETTING.keyCheck)
  if (stored === undefined) {
    // A database from before check values were kept: the key must still open what is stored.
    const sample = await settings.sealedSample()
    if (sample && !opens(key, sample.sealed, sample.id)) throw wrongKey(origin, dataDir)
    stored = await settings.claim(SETTING.keyCheck, expected)
  }
  if (!sameText(stored, expected)) throw wrongKey(origin, dataDir)
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

function wrongKey(origin: KeyOrigin, dataDir: string): ConfigError {
  const messages: Record<KeyOrigin, string> = {
    database:
      'ENCRYPTION_KEY is unset and the key kept in the database does not match the data stored there: set ENCRYPTION_KEY to the key the data was encrypted with',
    dataDir:
      `ENCRYPTION_KEY is unset, so Plinth used the key it generated and keeps in ${join(dataDir, 'secrets.json')}, and that is not the key the data in this database was encrypted with: ` +
      'the file was probably lost or replaced (it is generated anew when missing). Restore DATA_DIR/secrets.json from a backup, or set ENCRYPTION_KEY to the original key; starting with another would leave the data unreadable',
    environment:
      'ENCRYPTION_KEY is not the key the data in this database was encrypted with (its key check value differs): set ENCRYPTION_KEY to that key; starting with another would leave the data unreadable',
  }
  return new ConfigError([messages[origin]])
}
