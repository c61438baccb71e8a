import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './index.js'

const tempDir = () => mkdtempSync(join(tmpdir(), 'plinth-config-'))

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: tempDir(), ...env })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('config', () => {
  it('applies documented defaults', () => {
    const config = loadConfig({ DATA_DIR: tempDir() })
    expect(config).toMatchObject({ env: 'development', host: '0.0.0.0', port: 3000, logLevel: 'info', bodyLimitBytes: 1_048_576, corsOrigins: [] })
    expect(config.database).toEqual({ url: undefined, poolSize: 10 })
    expect(config.modules).toBeUndefined()
    expect(config.rateLimitPerMinute).toBe(1200)
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('names every bad variable', () => {
    const found = problems({ PORT: 'not-a-port', DATABASE_POOL_SIZE: '0', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })
    expect(found).toHaveLength(4)
    expect(found.join('\n')).toMatch(/PORT="not-a-port" is invalid: expected an integer port/)
    expect(found.join('\n')).toMatch(/DATABASE_POOL_SIZE/)
    expect(found.join('\n')).toMatch(/LOG_LEVEL/)
    expect(found.join('\n')).toMatch(/DATABASE_URL/)
  })

  it('refuses production without JWT_SECRET and ENCRYPTION_KEY, naming both', () => {
    const found = problems({ NODE_ENV: 'production' })
    expect(found).toEqual([expect.stringContaining('JWT_SECRET is required'), expect.stringContaining('ENCRYPTION_KEY is required')])
  })

  it('refuses a JWT_SECRET shorter than 32 bytes and a malformed ENCRYPTION_KEY', () => {
    const found = problems({ NODE_ENV: 'production', JWT_SECRET: 'short', ENCRYPTION_KEY: 'abc' })
    expect(found.join('\n')).toMatch(/JWT_SECRET.*at least 32/)
    expect(found.join('\n')).toMatch(/ENCRYPTION_KEY.*32-byte key/)
  })

  it('accepts production secrets from the environment and writes nothing to DATA_DIR', () => {
    const dataDir = tempDir()
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'ab'.repeat(32) })
    expect(config.secrets.jwtSecret).toBe('s'.repeat(32))
    expect(config.secrets.encryptionKey).toEqual(Buffer.from('ab'.repeat(32), 'hex'))
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false)
  })

  it('generates missing development secrets once and keeps them in DATA_DIR (mode 600)', () => {
    const dataDir = tempDir()
    const first = loadConfig({ DATA_DIR: dataDir })
    const second = loadConfig({ DATA_DIR: dataDir })
    expect(first.secrets.jwtSecret.length).toBeGreaterThanOrEqual(32)
    expect(first.secrets.encryptionKey).toHaveLength(32)
    expect(second.secrets).toEqual(first.secrets)
    const file = join(dataDir, 'secrets.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8')).jwtSecret).toBe(first.secrets.jwtSecret)
  })

  it('parses lists and treats empty values as unset', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), MODULES: 'chat, cylinders', CORS_ORIGINS: 'https://a.example,https://b.example', DATABASE_URL: '' })
    expect(config.modules).toEqual(['chat', 'cylinders'])
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
    expect(config.database.url).toBeUndefined()
    expect(loadConfig({ DATA_DIR: tempDir(), CORS_ORIGINS: '*' }).corsOrigins).toBe('*')
    expect(loadConfig({ DATA_DIR: tempDir(), MODULES: 'none' }).modules).toEqual([])
  })

  it('stores files on local disk under DATA_DIR by default, on S3 when a bucket is set', () => {
    const dataDir = tempDir()
    const local = loadConfig({ DATA_DIR: dataDir })
    expect(local.files).toEqual({ maxUploadBytes: 26_214_400, storageQuotaBytes: 1_073_741_824, uploadRateLimitPerMinute: 30, storage: { driver: 'local', root: join(dataDir, 'files') }, clamav: undefined })
    const s3 = loadConfig({ DATA_DIR: dataDir, S3_BUCKET: 'plinth-files', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true', CLAMAV_HOST: 'clamd' })
    expect(s3.files.storage).toEqual({ driver: 's3', bucket: 'plinth-files', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: undefined })
    expect(s3.files.clamav).toEqual({ host: 'clamd', port: 3310 })
    expect(loadConfig({ DATA_DIR: dataDir, S3_BUCKET: 'plinth-files', STORAGE_DRIVER: 'local' }).files.storage.driver).toBe('local')
  })

  it('refuses S3 without a bucket, half a key pair and a bad upload limit', () => {
    const found = problems({ STORAGE_DRIVER: 's3', S3_ACCESS_KEY_ID: 'key', MAX_UPLOAD_BYTES: '0' })
    expect(found).toEqual([
      expect.stringMatching(/^MAX_UPLOAD_BYTES=.*0.* is invalid/),
      'S3_BUCKET is required when STORAGE_DRIVER=s3',
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together',
    ])
  })
})

describe('cylinders settings', () => {
  it('defaults to UTC, a 60 s inventory cache and 300 scans a minute', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).cylinders).toEqual({ scanRateLimitPerMinute: 300, inventoryCacheSeconds: 60, timeZone: 'UTC' })
    expect(loadConfig({ DATA_DIR: tempDir(), CYLINDERS_TIMEZONE: 'America/Chicago' }).cylinders.timeZone).toBe('America/Chicago')
  })

  it('refuses a time zone that does not exist', () => {
    expect(problems({ CYLINDERS_TIMEZONE: 'Mars/Olympus' })).toEqual([expect.stringMatching(/^CYLINDERS_TIMEZONE="Mars\/Olympus" is invalid: expected an IANA time zone/)])
  })
})
