import { createHmac, timingSafeEqual } from 'node:crypto'
import { KEY_ID_PATTERN, type Keyring } from './keyring.js'

/** The only algorithm signatures use; named in what they sign so a reader knows how to check. */
export const SIGNATURE_ALG = 'HMAC-SHA256'
const MAC_BYTES = 32
/** Purposes are short labels (`chat.export`): lower-case letters, digits, `.`, `-`, `_`. */
const PURPOSE = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** A MAC computed over bytes given piece by piece, so a streamed document never sits whole in memory. */
export interface IncrementalMac {
  /** The master key the MAC is made under (the keyring's current one): store it next to the MAC. */
  readonly keyId: string
  update(chunk: string | Uint8Array): IncrementalMac
  /** The MAC of everything given, base64url; the signer is spent afterwards. */
  digest(): string
}

/**
 * What a module signs with (`ctx.signatures`): MACs it alone can make and check, for documents it
 * hands out and takes back (an export imported again). Each key is derived (HKDF-SHA256) from a
 * master key of the keyring (ENCRYPTION_KEY, or one of ENCRYPTION_KEYS_PREVIOUS), the module's name
 * and the purpose, so a MAC made for one purpose, or by one module, is worthless for another, and the
 * master key itself never serves for signing. New MACs use the current key and name its id; a MAC made
 * before a rotation still verifies while its key stays in ENCRYPTION_KEYS_PREVIOUS.
 */
export interface Signatures {
  start(purpose: string): IncrementalMac
  /**
   * Whether `mac` (base64url) is the MAC of `bytes` for `purpose` under the key `keyId`, compared in
   * constant time. Without a key id (MACs made before they carried one) every configured key is tried.
   * An unknown key id is simply not a match.
   */
  verify(purpose: string, bytes: string | Uint8Array, mac: string, keyId?: string): boolean
}

export function createSignatures(keyring: Keyring, namespace: string): Signatures {
  const keys = new Map<string, Buffer>()
  const keyFor = (keyId: string, purpose: string): Buffer => {
    if (!PURPOSE.test(purpose)) throw new Error(`Invalid signature purpose "${purpose}"`)
    const cacheKey = `${keyId}\u0000${purpose}`
    let key = keys.get(cacheKey)
    if (!key) {
      key = keyring.deriveKey(keyId, `plinth signatures v1:${namespace}:${purpose}`)
      keys.set(cacheKey, key)
    }
    return key
  }
  const macOf = (keyId: string, purpose: string): IncrementalMac => {
    const hmac = createHmac('sha256', keyFor(keyId, purpose))
    const mac: IncrementalMac = {
      keyId,
      update(chunk) {
        hmac.update(chunk)
        return mac
      },
      digest: () => hmac.digest('base64url'),
    }
    return mac
  }
  const matches = (keyId: string, purpose: string, bytes: string | Uint8Array, given: Buffer): boolean =>
    timingSafeEqual(given, Buffer.from(macOf(keyId, purpose).update(bytes).digest(), 'base64url'))
  return {
    start: (purpose) => macOf(keyring.currentKeyId, purpose),
    verify(purpose, bytes, mac, keyId) {
      if (!PURPOSE.test(purpose)) throw new Error(`Invalid signature purpose "${purpose}"`)
      // Only canonical base64url of the right length: a padded or re-encoded MAC is not the one issued.
      if (typeof mac !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return false
      const given = Buffer.from(mac, 'base64url')
      if (given.length !== MAC_BYTES || given.toString('base64url') !== mac) return false
      if (keyId === undefined) return keyring.keyIds().some((id) => matches(id, purpose, bytes, given))
      return typeof keyId === 'string' && KEY_ID_PATTERN.test(keyId) && keyring.has(keyId) && matches(keyId, purpose, bytes, given)
    },
  }
}
