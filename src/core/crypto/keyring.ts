import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { Config } from '../../config/index.js'
import { Sealer } from './seal.js'

const IV_BYTES = 12
/** GCM accepts tags as short as 4 bytes unless told otherwise; a short tag is a forgery made easy. */
const TAG_BYTES = 16
const DATA_KEY_BYTES = 32
const SEALED_VERSION = 'v2'
/** What a wrapped data key is bound to besides its master key id: it can only ever be a data key. */
const WRAP_LABEL = 'plinth data key v1'
/** Key ids: short, and free of the separators of sealed values (`.`) and of ENCRYPTION_KEYS_PREVIOUS (`:`, `,`). */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/

export interface MasterKey {
  readonly id: string
  readonly key: Buffer
}

export interface KeyringKeys {
  readonly current: MasterKey
  readonly previous: readonly MasterKey[]
  /**
   * The id of the key `v1.` values (sealed before key ids existed) were made with, as recorded in the
   * database by the first start that had key ids; unset: the current key's.
   */
  readonly v1KeyId?: string | undefined
}

/** A record sealed by envelope encryption: store all three; only `wrappedKey` and `keyId` change on rotation. */
export interface SealedRecord {
  /** The data under its own random data key: `<iv>.<tag>.<ciphertext>`, base64url. */
  readonly ciphertext: string
  /** The data key under the master key `keyId`: `<iv>.<tag>.<ciphertext>`, base64url. */
  readonly wrappedKey: string
  readonly keyId: string
}

/**
 * The master keys: ENCRYPTION_KEY (the current one, sealing everything new) and ENCRYPTION_KEYS_PREVIOUS
 * (older ones, kept so what they sealed still opens until `rotate-encryption-key` has moved it).
 * Two ways to encrypt:
 * - `sealRecord`/`openRecord`: envelope encryption for records (a random data key per record,
 *   AES-256-GCM with the caller's associated data, the data key wrapped by the current master key);
 *   `rewrap` moves a record's data key under the current key without touching its ciphertext.
 * - `seal`/`open`: one value under the master key directly, `v2.<keyId>.<iv>.<tag>.<ciphertext>`
 *   (the platform's own sealed values, e.g. session tokens); `v1.` values from before key ids open with
 *   the key recorded for them; `reseal` moves a value under the current key.
 * Errors never contain a key or a plaintext.
 */
export class Keyring {
  private readonly keys = new Map<string, Buffer>()
  readonly currentKeyId: string
  readonly v1KeyId: string

  constructor({ current, previous, v1KeyId }: KeyringKeys) {
    for (const { id, key } of [current, ...previous]) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`Invalid key id "${id}": expected 1–32 letters, digits, _ or -`)
      if (key.length !== 32) throw new Error(`The key with id "${id}" must be 32 bytes`)
      if (this.keys.has(id)) throw new Error(`Key id "${id}" is configured twice`)
      this.keys.set(id, key)
    }
    this.currentKeyId = current.id
    this.v1KeyId = v1KeyId ?? current.id
  }

  /** Every configured key id, the current one first. */
  keyIds(): string[] {
    return [...this.keys.keys()]
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId)
  }

  sealRecord(plaintext: string, aad: string): SealedRecord {
    const dataKey = randomBytes(DATA_KEY_BYTES)
    try {
      const ciphertext = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), Buffer.from(aad))
      return { ciphertext, wrappedKey: this.wrap(dataKey, this.currentKeyId), keyId: this.currentKeyId }
    } finally {
      dataKey.fill(0)
    }
  }

  /** The plaintext; throws if any part was altered, the key id is not configured, or `aad` differs. */
  openRecord(record: SealedRecord, aad: string): string {
    const dataKey = this.unwrap(record.wrappedKey, record.keyId)
    try {
      return decrypt(dataKey, record.ciphertext, Buffer.from(aad)).toString('utf8')
    } finally {
      dataKey.fill(0)
    }
  }

  /** The data key of a record re-wrapped under the current key; its ciphertext stays as it is. */
  rewrap(wrappedKey: string, keyId: string): { wrappedKey: string; keyId: string } {
    const dataKey = this.unwrap(wrappedKey, keyId)
    try {
      return { wrappedKey: this.wrap(dataKey, this.currentKeyId), keyId: this.currentKeyId }
    } finally {
      dataKey.fill(0)
    }
  }

  /** `v2.<currentKeyId>.…`; `context` binds the value to its use (e.g. a session id). */
  seal(plaintext: string, context: string): string {
    const id = this.currentKeyId
    return `${SEALED_VERSION}.${id}.${encrypt(this.masterKey(id), Buffer.from(plaintext, 'utf8'), sealedAad(id, context))}`
  }

  /** The plaintext of a `v2.` or `v1.` value; throws if it was altered, its key is not configured, or `context` differs. */
  open(sealed: string, context: string): string {
    const keyId = this.keyIdOf(sealed)
    if (sealed.startsWith('v1.')) return new Sealer(this.masterKey(keyId)).open(sealed, context)
    return decrypt(this.masterKey(keyId), sealed.slice(SEALED_VERSION.length + keyId.length + 2), sealedAad(keyId, context)).toString('utf8')
  }

  /** The value sealed anew under the current key (a value already under it is returned as it is). */
  reseal(sealed: string, context: string): string {
    if (this.keyIdOf(sealed) === this.currentKeyId && sealed.startsWith(`${SEALED_VERSION}.`)) return sealed
    return this.seal(this.open(sealed, context), context)
  }

  /** The id of the key a sealed value was made with (`v1.` values: `v1KeyId`). */
  keyIdOf(sealed: string): string {
    if (sealed.startsWith('v1.')) return this.v1KeyId
    const [version, keyId] = sealed.split('.', 2)
    if (version !== SEALED_VERSION || keyId === undefined || !KEY_ID_PATTERN.test(keyId)) throw new Error('Malformed sealed value')
    return keyId
  }

  /**
   * A 32-byte key derived (HKDF-SHA256, no salt) from the master key `keyId` for the purpose `info`:
   * a key for something other than encryption (signatures), never the master key itself.
   * Throws UnknownKeyIdError for a key id that is not configured.
   */
  deriveKey(keyId: string, info: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.masterKey(keyId), Buffer.alloc(0), info, 32))
  }

  private wrap(dataKey: Buffer, keyId: string): string {
    return encrypt(this.masterKey(keyId), dataKey, wrapAad(keyId))
  }

  private unwrap(wrappedKey: string, keyId: string): Buffer {
    const dataKey = decrypt(this.masterKey(keyId), wrappedKey, wrapAad(keyId))
    if (dataKey.length !== DATA_KEY_BYTES) throw new Error('Malformed wrapped key')
    return dataKey
  }

  private masterKey(keyId: string): Buffer {
    const key = this.keys.get(keyId)
    if (!key) throw new UnknownKeyIdError(keyId)
    return key
  }
}

/** A value names a key id this keyring does not have (removed from ENCRYPTION_KEYS_PREVIOUS too early?). */
export class UnknownKeyIdError extends Error {
  constructor(readonly keyId: string) {
    super(`The key id "${keyId}" is not configured (ENCRYPTION_KEY_ID or ENCRYPTION_KEYS_PREVIOUS)`)
    this.name = 'UnknownKeyIdError'
  }
}

/** The keyring of a configuration (after the boot's src/core/secrets step, which records `v1KeyId`). */
export function keyringFromSecrets(secrets: Config['secrets']): Keyring {
  return new Keyring({ current: { id: secrets.encryptionKeyId, key: secrets.encryptionKey }, previous: secrets.previousEncryptionKeys, v1KeyId: secrets.v1KeyId })
}

const wrapAad = (keyId: string) => Buffer.from(`${WRAP_LABEL}\u0000${keyId}`)
const sealedAad = (keyId: string, context: string) => Buffer.from(`${keyId}\u0000${context}`)

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.')
}

function decrypt(key: Buffer, encoded: string, aad: Buffer): Buffer {
  const parts = encoded.split('.')
  if (parts.length !== 3 || parts.some((part) => !/^[\w-]*$/.test(part))) throw new Error('Malformed encrypted value')
  const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer]
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Malformed encrypted value')
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(ciphertext), decipher.final()])
}
