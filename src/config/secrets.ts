import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

export interface Secrets {
  jwtSecret: string
  encryptionKey: string
}

const FILE = 'secrets.json'

/**
 * Development only: secrets missing from the environment are generated once and kept in
 * DATA_DIR, so tokens and encrypted values stay valid across restarts.
 */
export function loadOrCreateDevSecrets(dataDir: string): Secrets {
  const path = join(dataDir, FILE)
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<Secrets>
    if (stored.jwtSecret && stored.encryptionKey) return { jwtSecret: stored.jwtSecret, encryptionKey: stored.encryptionKey }
  }
  const secrets: Secrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    encryptionKey: randomBytes(32).toString('hex'),
  }
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  return secrets
}
