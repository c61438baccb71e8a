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
  const stored = readDevSecrets(dataDir)
  if (stored) return stored
  const secrets = generateSecrets()
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(join(dataDir, FILE), JSON.stringify(secrets, null, 2), { mode: 0o600 })
  return secrets
}

/** The secrets an earlier start kept in DATA_DIR, if any (nothing is written). */
export function readDevSecrets(dataDir: string): Secrets | undefined {
  const path = join(dataDir, FILE)
  if (!existsSync(path)) return undefined
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<Secrets>
  return stored.jwtSecret && stored.encryptionKey ? { jwtSecret: stored.jwtSecret, encryptionKey: stored.encryptionKey } : undefined
}

export function generateSecrets(): Secrets {
  return { jwtSecret: randomBytes(48).toString('base64url'), encryptionKey: randomBytes(32).toString('hex') }
}
