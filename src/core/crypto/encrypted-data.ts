import { ConfigError } from '../../config/index.js'
import type { Keyring } from './keyring.js'

/** One batch of a rotation: up to `limit` rows after the cursor `after` (null: from the start), in a stable order. */
export interface RewrapBatch {
  readonly limit: number
  readonly after: string | null
}

export interface RewrapResult {
  /** Rows now under the current key. */
  readonly rewrapped: number
  /** Rows that could not be opened (altered, or a key that cannot open them): left as they are, reported. */
  readonly failed: number
  /** The cursor of the next batch; null when this was the last. */
  readonly next: string | null
}

/**
 * A module's encrypted data, as the keyring's boot check and `rotate-encryption-key` see it
 * (ModuleDefinition.encryptedData). Methods, so a definition's `Api` fits the app's list.
 */
export interface EncryptedData<Api> {
  /** Every key id the module's stored data names (e.g. `SELECT DISTINCT key_id`). */
  keyIdsInUse(api: Api): Promise<readonly string[]>
  /**
   * Moves one batch of rows that are not under `keyring.currentKeyId` under it (`keyring.rewrap` for
   * records, `keyring.reseal` for sealed values), each with a conditional UPDATE (`… WHERE id = $1 AND
   * key_id = $old AND wrapped_key = $old`) so a write made meanwhile wins; a row that lost is counted
   * neither way. Runs while the service runs, so it must not lock more than a row at a time.
   */
  rewrap(api: Api, keyring: Keyring, batch: RewrapBatch): Promise<RewrapResult>
}

/** Encrypted data bound to its owner: the core's own, or a module's with its api. */
export interface EncryptedDataSource {
  readonly name: string
  keyIdsInUse(): Promise<readonly string[]>
  rewrap(keyring: Keyring, batch: RewrapBatch): Promise<RewrapResult>
}

/**
 * Boot: stored data naming a key id the keyring lacks would be unreadable, so the start stops,
 * naming the ids and where they are (never a key).
 */
export async function checkStoredKeyIds(keyring: Keyring, sources: readonly EncryptedDataSource[]): Promise<void> {
  const problems: string[] = []
  for (const source of sources) {
    const missing = [...new Set(await source.keyIdsInUse())].filter((id) => !keyring.has(id))
    for (const id of missing) {
      problems.push(
        `Stored data (${source.name}) is encrypted with key id "${id}", which is not configured: set ENCRYPTION_KEYS_PREVIOUS to include ${id}:<that key> ` +
          '(or make it ENCRYPTION_KEY with ENCRYPTION_KEY_ID), and remove a previous key only after `npm run cli -- rotate-encryption-key` has moved everything off it',
      )
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
}

export interface RotationCount {
  readonly name: string
  readonly rewrapped: number
  readonly failed: number
}

/** Every source's data moved under the current key, batch by batch; what each moved. Idempotent. */
export async function rotateEncryptedData(keyring: Keyring, sources: readonly EncryptedDataSource[], batchSize = 500): Promise<RotationCount[]> {
  const counts: RotationCount[] = []
  for (const source of sources) {
    let rewrapped = 0
    let failed = 0
    let after: string | null = null
    do {
      const result: RewrapResult = await source.rewrap(keyring, { limit: batchSize, after })
      rewrapped += result.rewrapped
      failed += result.failed
      after = result.next
    } while (after !== null)
    counts.push({ name: source.name, rewrapped, failed })
  }
  return counts
}
