import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

/** The only algorithm signatures use; named in what they sign so a reader knows how to check. */
export const SIGNATURE_ALG = 'HMAC-SHA256'
const MAC_BYTES = 32
/** Purposes are short labels (`chat.export`): lower-case letters, digits, `.`, `-`, `_`. */
const PURPOSE = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** A MAC computed over bytes given piece by piece, so a streamed document never sits whole in memory. */
export interface IncrementalMac {
  update(chunk: string | Uint8Array): IncrementalMac
  /** The MAC of everything given, base64url; the signer is spent afterwards. */
  digest(): string
}

/**
 * What a module signs with (`ctx.signatures`): MACs it alone can make and check, for documents it
 * hands out and takes back (an export imported again). Each key is derived (HKDF-SHA256) from
 * ENCRYPTION_KEY, the module's name and the purpose, so a MAC made for one purpose, or by one
 * module, is worthless for another, and the key itself never serves for encryption.
 */
export interface Signatures {
  start(purpose: string): IncrementalMac
  /** Whether `mac` (base64url) is the MAC of `bytes` for `purpose`: compared in constant time. */
  verify(purpose: string, bytes: string | Uint8Array, mac: string): boolean
}

export function createSignatures(encryptionKey: Buffer, namespace: string): Signatures {
  if (encryptionKey.length !== 32) throw new Error('The encryption key must be 32 bytes')
  const keys = new Map<string, Buffer>()
  const keyFor = (purpose: string): Buffer => {
    if (!PURPOSE.test(purpose)) throw new Error(`Invalid signature purpose "${purpose}"`)
    let key = keys.get(purpose)
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), `plinth signatures v1:${namespace}:${purpose}`, MAC_BYTES))
      keys.set(purpose, key)
    }
    return key
  }
  const start = (purpose: string): IncrementalMac => {
    const hmac = createHmac('sha256', keyFor(purpose))
    const mac: IncrementalMac = {
      update(chunk) {
        hmac.update(chunk)
        return mac
      },
      digest: () => hmac.digest('base64url'),
    }
    return mac
  }
  return {
    start,
    verify(purpose, bytes, mac) {
      const expected = Buffer.from(start(purpose).update(bytes).digest(), 'base64url')
      // Only canonical base64url of the right length: a padded or re-encoded MAC is not the one issued.
      if (typeof mac !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return false
      const given = Buffer.from(mac, 'base64url')
      return given.length === MAC_BYTES && given.toString('base64url') === mac && timingSafeEqual(given, expected)
    },
  }
}
