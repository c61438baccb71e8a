import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './index.js'
import { defineSettings } from './module-settings.js'
import { isLoopback, startupWarnings } from './warnings.js'

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
    expect(config.database).toEqual({ url: undefined, poolSize: 10, timeouts: { connectMs: 3000, waitMs: 3000, statementMs: 30_000, idleInTransactionMs: 60_000 } })
    expect(config.redisCommandTimeoutMs).toBe(1000)
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
    expect(s3.files.storage).toEqual({ driver: 's3', bucket: 'plinth-files', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, requestTimeoutMs: 30_000, credentials: undefined })
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

describe('module settings', () => {
  const settings = defineSettings({
    schema: Type.Object({
      STOCK_TAKE_DAYS: Type.Integer({ minimum: 1, default: 7, description: 'an integer number of days ≥ 1' }),
      STOCK_TAKE_COLOUR: Type.String({ default: 'red', description: 'a colour: red or blue' }),
      STOCK_TAKE_API_KEY: Type.Optional(Type.String({ minLength: 8, description: 'a key of at least 8 characters' })),
    }),
    check: { STOCK_TAKE_COLOUR: (colour) => colour === 'red' || colour === 'blue' },
    parse: (env) => ({ days: env.STOCK_TAKE_DAYS, colour: env.STOCK_TAKE_COLOUR, apiKey: env.STOCK_TAKE_API_KEY }),
  })
  const stockTake = { name: 'stock-take', settings }
  const plain = { name: 'plain' }
  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: tempDir(), ...env }, { modules: [plain, stockTake] })

  it('are parsed with their defaults into the typed object the module receives, by module name', () => {
    expect(load({}).moduleSettings).toEqual({ 'stock-take': { days: 7, colour: 'red', apiKey: undefined } })
    expect(load({ STOCK_TAKE_DAYS: ' 30 ', STOCK_TAKE_COLOUR: 'blue' }).moduleSettings['stock-take']).toEqual({ days: 30, colour: 'blue', apiKey: undefined })
    expect(Object.isFrozen(load({}).moduleSettings['stock-take'])).toBe(true)
    expect(loadConfig({ DATA_DIR: tempDir() }).moduleSettings).toEqual({})
  })

  it('fail the start together with the core variables, in the same words, secrets hidden', () => {
    let error: unknown
    try {
      load({ PORT: 'not-a-port', STOCK_TAKE_DAYS: '0', STOCK_TAKE_COLOUR: 'green', STOCK_TAKE_API_KEY: 'k3y-x' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^PORT="not-a-port" is invalid: expected an integer port/),
      'STOCK_TAKE_DAYS="0" is invalid: expected an integer number of days ≥ 1',
      'STOCK_TAKE_COLOUR="green" is invalid: expected a colour: red or blue',
      'STOCK_TAKE_API_KEY=[hidden] is invalid: expected a key of at least 8 characters',
    ])
    expect((error as ConfigError).message).not.toContain('k3y-x')
  })

  it('are validated only for the modules MODULES enables', () => {
    expect(load({ MODULES: 'plain', STOCK_TAKE_DAYS: '0' }).moduleSettings).toEqual({})
    expect(load({ MODULES: 'none', STOCK_TAKE_DAYS: '0' }).moduleSettings).toEqual({})
    expect(() => load({ MODULES: 'plain, stock-take', STOCK_TAKE_DAYS: '0' })).toThrow(ConfigError)
  })

  it('must be named after their module and cannot take a core variable', () => {
    const stray = defineSettings({ schema: Type.Object({ PORT_OFFSET: Type.Integer({ default: 0, description: 'an integer' }) }), parse: (env) => env })
    expect(() => loadConfig({ DATA_DIR: tempDir() }, { modules: [{ name: 'stock', settings: stray }] })).toThrow('Module "stock" declares the setting PORT_OFFSET: its settings must be named STOCK_…')
    const core = defineSettings({ schema: Type.Object({ REDIS_URL: Type.String({ default: 'x', description: 'anything' }) }), parse: (env) => env })
    expect(() => loadConfig({ DATA_DIR: tempDir() }, { modules: [{ name: 'redis', settings: core }] })).toThrow('Module "redis" declares the setting REDIS_URL, which is a core variable')
    expect(() => defineSettings({ schema: Type.Object({ STOCK_X: Type.Integer({ default: 0 }) }), parse: (env) => env })).toThrow('Module setting STOCK_X needs a description')
  })
})

describe('configuration errors', () => {
  const secrets = {
    JWT_SECRET: 'short-jwt-canary',
    ENCRYPTION_KEY: 'encryption-key-canary',
    ADMIN_PASSWORD: 'pw-cnry',
    S3_SECRET_ACCESS_KEY: '',
  }

  it('name a bad secret without its value', () => {
    const found = problems({ ...secrets, ADMIN_EMAIL: 'admin@example.test' }).join('\n')
    expect(found).toMatch(/JWT_SECRET=\[hidden\] is invalid: expected a secret of at least 32/)
    expect(found).toMatch(/ENCRYPTION_KEY=\[hidden\] is invalid/)
    expect(found).toMatch(/ADMIN_PASSWORD=\[hidden\] is invalid/)
    for (const value of Object.values(secrets).filter(Boolean)) expect(found).not.toContain(value)
  })

  it('mask the credentials of a bad URL, even a malformed one, and keep the rest', () => {
    const found = problems({
      DATABASE_URL: 'mysql://app:db-pass/word@db.example:3306/plinth',
      REDIS_URL: 'http://:redis-canary@cache.example:6379',
      SMTP_URL: 'mail://mailer:smtp-canary@mail.example:587?password=query-canary',
      S3_ENDPOINT: 'ftp://s3-key:s3-canary@minio.example',
    }).join('\n')
    expect(found).toContain('DATABASE_URL="mysql://[hidden]@db.example:3306/plinth" is invalid')
    expect(found).toContain('REDIS_URL="http://[hidden]@cache.example:6379" is invalid')
    expect(found).toContain('SMTP_URL="mail://[hidden]@mail.example:587?password=[hidden]" is invalid')
    for (const value of ['db-pass', 'redis-canary', 'smtp-canary', 'query-canary', 's3-canary', 's3-key', 'mailer']) expect(found).not.toContain(value)
  })

  it('still show the value of an ordinary variable', () => {
    expect(problems({ PORT: 'not-a-port' })).toEqual([expect.stringContaining('PORT="not-a-port" is invalid')])
  })
})

describe('start-up warnings', () => {
  it('knows whether NODE_ENV was set, and development is the default either way', () => {
    expect(loadConfig({ DATA_DIR: tempDir() })).toMatchObject({ env: 'development', envSet: false })
    expect(loadConfig({ DATA_DIR: tempDir(), NODE_ENV: '  ' })).toMatchObject({ env: 'development', envSet: false })
    expect(loadConfig({ DATA_DIR: tempDir(), NODE_ENV: 'development' })).toMatchObject({ env: 'development', envSet: true })
  })

  it('warns when NODE_ENV is unset and HOST is not loopback, and only then', () => {
    const unsetOnAll = startupWarnings(loadConfig({ DATA_DIR: tempDir() }))
    expect(unsetOnAll).toEqual([expect.stringMatching(/^NODE_ENV is not set, so Plinth runs as development .* listening on 0\.0\.0\.0/)])
    expect(startupWarnings(loadConfig({ DATA_DIR: tempDir(), HOST: '127.0.0.1' }))).toEqual([])
    expect(startupWarnings(loadConfig({ DATA_DIR: tempDir(), NODE_ENV: 'development', HOST: '0.0.0.0' }))).toEqual([])
    expect(startupWarnings({ env: 'development', envSet: false, host: '::' })).toHaveLength(1)
  })

  it('counts localhost, 127.0.0.0/8 and ::1 as loopback', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'app.example', '128.0.0.1']) expect(isLoopback(host), host).toBe(false)
  })
})
