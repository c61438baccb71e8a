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
  writeKept(dataDir, { ...readKept(dataDir), ...secrets })
  return secrets
}

/**
 * The embedded PostgreSQL server's superuser password, generated on the first start and kept in the
 * same file as the other generated secrets. `created` tells that the file had none (a new cluster, or
 * a lost file: the server's password must then be set anew).
 */
export function loadOrCreateDatabasePassword(dataDir: string): { password: string; created: boolean } {
  const kept = readKept(dataDir)
  if (typeof kept.databasePassword === 'string' && kept.databasePassword.length > 0) return { password: kept.databasePassword, created: false }
  const password = randomBytes(24).toString('base64url')
  writeKept(dataDir, { ...kept, databasePassword: password })
  return { password, created: true }
}

/** Whether DATA_DIR/secrets.json holds the embedded server's password (nothing is written). */
export function hasDatabasePassword(dataDir: string): boolean {
  const kept = readKept(dataDir)
  return typeof kept.databasePassword === 'string' && kept.databasePassword.length > 0
}

function readKept(dataDir: string): Record<string, unknown> {
  const path = join(dataDir, FILE)
  if (!existsSync(path)) return {}
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
}

function writeKept(dataDir: string, kept: Record<string, unknown>): void {
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(join(dataDir, FILE), JSON.stringify(kept, null, 2), { mode: 0o600 })
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
