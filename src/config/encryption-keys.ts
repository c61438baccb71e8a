/**
 * ENCRYPTION_KEYS_PREVIOUS: `id:key,id:key`, the master keys data may still be encrypted with after
 * ENCRYPTION_KEY changed (docs/deploy.md, Encryption keys). Messages name key ids, never keys.
 */
export interface PreviousKey {
  readonly id: string
  readonly key: Buffer
}

const ID = /^[A-Za-z0-9_-]{1,32}$/
const KEY = /^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/

export function decodeKey(key: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64')
}

/** The previous keys, or every problem with them; `currentKey` is ENCRYPTION_KEY as set (undefined: unset). */
export function parsePreviousKeys(
  raw: string | undefined,
  currentId: string,
  currentKey: string | undefined,
): { keys: PreviousKey[]; problems: string[] } {
  const keys: PreviousKey[] = []
  const problems: string[] = []
  if (raw === undefined || raw.trim() === '') return { keys, problems }
  if (currentKey === undefined) {
    problems.push('ENCRYPTION_KEYS_PREVIOUS needs ENCRYPTION_KEY set: previous keys are the ones ENCRYPTION_KEY replaced')
    return { keys, problems }
  }
  const current = decodeKey(currentKey)
  raw.split(',').forEach((entry, index) => {
    const separator = entry.indexOf(':')
    const id = separator === -1 ? '' : entry.slice(0, separator).trim()
    const key = separator === -1 ? '' : entry.slice(separator + 1).trim()
    const where = `ENCRYPTION_KEYS_PREVIOUS entry ${index + 1}`
    if (!ID.test(id)) return problems.push(`${where} is invalid: expected id:key, the id 1–32 letters, digits, _ or -`)
    if (!KEY.test(key)) return problems.push(`${where} (key id "${id}") is invalid: expected a 32-byte key as 64 hex characters or 44 base64 characters after the colon`)
    const decoded = decodeKey(key)
    if (id === currentId) return problems.push(`${where} uses key id "${id}", the id of ENCRYPTION_KEY (ENCRYPTION_KEY_ID): each key needs its own id`)
    if (keys.some((earlier) => earlier.id === id)) return problems.push(`${where} repeats key id "${id}": each id names one key`)
    if (decoded.equals(current)) return problems.push(`${where} (key id "${id}") is the same key as ENCRYPTION_KEY: one key has one id`)
    const twin = keys.find((earlier) => earlier.key.equals(decoded))
    if (twin) return problems.push(`${where} (key id "${id}") is the same key as key id "${twin.id}": one key has one id`)
    return keys.push({ id, key: decoded })
  })
  return { keys, problems }
}
