import { join, resolve } from 'node:path'
import Value from 'typebox/value'
import { EnvSchema, envHints, type Env } from './schema.js'
import { cronProblem } from './cron.js'
import { decodeKey, parsePreviousKeys, type PreviousKey } from './encryption-keys.js'
import { parseModuleSettings, settingsNameProblem, type ModuleSettingsOwner } from './module-settings.js'
import { shownValue } from './redact.js'
import { generateSecrets, loadOrCreateDevSecrets, readDevSecrets } from './secrets.js'

export interface Config {
  readonly env: Env['NODE_ENV']
  /** NODE_ENV was set; false: `env` is `development` by default (warned about when HOST is not loopback). */
  readonly envSet: boolean
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly database: {
    readonly url: string | undefined
    readonly poolSize: number
    /** PostgreSQL only: see DatabaseTimeouts in src/core/db/client.ts. */
    readonly timeouts: {
      readonly connectMs: number
      readonly waitMs: number
      readonly statementMs: number
      readonly idleInTransactionMs: number
    }
  }
  readonly redisUrl: string | undefined
  /** How long a Redis command may take before it fails (the caller degrades or answers 503). */
  readonly redisCommandTimeoutMs: number
  readonly secrets: {
    readonly jwtSecret: string
    readonly encryptionKey: Buffer
    /** ENCRYPTION_KEY's id (ENCRYPTION_KEY_ID), named by everything it encrypts. */
    readonly encryptionKeyId: string
    /** ENCRYPTION_KEYS_PREVIOUS: older keys, which still open what they encrypted until it is rotated. */
    readonly previousEncryptionKeys: readonly PreviousKey[]
    /**
     * The id of the key `v1.` sealed values (from before key ids) were made with: recorded in the
     * database by the boot (src/core/secrets); undefined until then (they open with ENCRYPTION_KEY).
     */
    readonly v1KeyId?: string | undefined
    /**
     * Outside production with DATABASE_URL: the secrets the environment leaves out. Their values above
     * are only this instance's proposal; at boot (src/core/secrets) every instance adopts the ones the
     * first instance kept in the database, so all of them sign and encrypt alike.
     */
    readonly fromDatabase: readonly SecretName[]
    /**
     * On the embedded database: the secrets the environment leaves out, which Plinth generated and keeps
     * in DATA_DIR/secrets.json (generated anew when that file is missing), not set by the operator.
     */
    readonly fromDataDir: readonly SecretName[]
  }
  readonly logLevel: Env['LOG_LEVEL']
  readonly corsOrigins: readonly string[] | '*'
  readonly trustProxy: boolean
  readonly bodyLimitBytes: number
  readonly requestTimeoutMs: number
  /** One deadline for the whole shutdown: draining requests, then jobs, then closing connections (src/core/lifecycle.ts). */
  readonly shutdownTimeoutMs: number
  /** How long each step of the boot (a plugin, starting the job queue) may take before the process gives up. */
  readonly startupTimeoutMs: number
  /** Requests per minute per account (per IP when anonymous), health and metrics aside; 0: no limit. */
  readonly rateLimitPerMinute: number
  /** Module names to enable; `undefined` means every module the app knows. */
  readonly modules: readonly string[] | undefined
  /** Base URL for links sent to users. */
  readonly publicUrl: string
  /** The admin console at /admin (packages/admin, src/core/http/admin-console.ts); false: /admin is 404. */
  readonly adminConsole: boolean
  readonly auth: {
    readonly registration: 'open' | 'closed'
    readonly admin: { readonly email: string; readonly password: string } | undefined
    readonly accessTokenTtlSeconds: number
    readonly refreshTokenTtlDays: number
    readonly refreshReuseGraceSeconds: number
    readonly rateLimitPerMinute: number
    readonly loginMaxFailures: number
    readonly loginMaxFailuresPerIp: number
    readonly loginMaxFailuresPerAccount: number
    readonly loginLockoutSeconds: number
    /** argon2id cost: OWASP's in every environment but `test`. */
    readonly passwordHashing: 'owasp' | 'fast-for-tests'
  }
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string }
  /** Days audit entries are kept before the retention job deletes them; 0: kept forever. */
  readonly audit: { readonly retentionDays: number }
  /** Scheduled backups into file storage (src/core/backup): `cron` undefined means none. */
  readonly backup: { readonly cron: string | undefined; readonly keep: number }
  readonly realtime: {
    readonly heartbeatMs: number
    readonly maxBufferedBytes: number
    /** Sockets one user may hold open on one instance. */
    readonly maxSocketsPerUser: number
    readonly retention: { readonly minAgeMs: number; readonly minCount: number; readonly maxBytesPerRoom: number; readonly maxRooms: number }
  }
  readonly jobs: {
    /** This process runs job workers, cron and queue maintenance; false: it only sends jobs. */
    readonly workers: boolean
    readonly concurrency: number
    readonly pollIntervalMs: number
    readonly schema: string
  }
  readonly files: {
    readonly maxUploadBytes: number
    /** Bytes each user may store unless a module set their own quota; 0: no quota. */
    readonly storageQuotaBytes: number
    /** Uploads per minute per account; 0: no limit. */
    readonly uploadRateLimitPerMinute: number
    readonly storage: StorageConfig
    /** clamd to scan every upload with; `undefined` means uploads are not scanned. */
    readonly clamav: { readonly host: string; readonly port: number } | undefined
  }
  /**
   * Each enabled module's own settings (declared in its manifest), parsed, by module name: what the
   * module receives as `ctx.settings`. Modules without settings, or not enabled, have no entry.
   */
  readonly moduleSettings: { readonly [module: string]: unknown }
}

export type SecretName = 'JWT_SECRET' | 'ENCRYPTION_KEY'

export type StorageConfig =
  | { readonly driver: 'local'; readonly root: string }
  | {
      readonly driver: 's3'
      readonly bucket: string
      readonly region: string
      readonly endpoint: string | undefined
      readonly forcePathStyle: boolean
      /** Longest silence on an S3 request's socket before it fails. */
      readonly requestTimeoutMs: number
      /** `undefined`: the AWS SDK's default chain (environment, shared files, instance role). */
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined
    }

/**
 * What a shutdown needs beyond draining requests (which may take REQUEST_TIMEOUT_MS): at least 1 s for
 * jobs to stop and 1 s to close Redis and the database (src/core/lifecycle.ts). The default leaves 5 s.
 */
const SHUTDOWN_MIN_ROOM_MS = 2000
const SHUTDOWN_DEFAULT_ROOM_MS = 5000

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type RawEnv = Record<string, string | undefined>

export interface LoadConfigOptions {
  /**
   * The modules the app may run (app.ts's `availableModules`, or a test's fixtures): the settings
   * of those MODULES enables are validated with the core's variables, one error for all of them.
   */
  readonly modules?: readonly ModuleSettingsOwner[]
}

/** The one reader of the environment: validates every variable and returns a frozen config. */
export function loadConfig(source: RawEnv = process.env, options: LoadConfigOptions = {}): Config {
  const env = parseEnv(source, options.modules ?? [])
  const dataDir = resolve(env.DATA_DIR)
  return deepFreeze({
    env: env.NODE_ENV,
    envSet: Boolean(source.NODE_ENV?.trim()),
    host: env.HOST,
    port: env.PORT,
    dataDir,
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      timeouts: {
        connectMs: env.DATABASE_CONNECT_TIMEOUT_MS,
        waitMs: env.DATABASE_WAIT_TIMEOUT_MS,
        statementMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
        idleInTransactionMs: env.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
    },
    redisUrl: env.REDIS_URL,
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    secrets: resolveSecrets(env, dataDir),
    logLevel: env.LOG_LEVEL,
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
    trustProxy: env.TRUST_PROXY,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? env.REQUEST_TIMEOUT_MS + SHUTDOWN_DEFAULT_ROOM_MS,
    startupTimeoutMs: env.STARTUP_TIMEOUT_MS,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    modules: env.MODULES === 'none' ? [] : parseList(env.MODULES),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    adminConsole: env.ADMIN_CONSOLE,
    auth: {
      registration: env.REGISTRATION,
      admin: env.ADMIN_EMAIL && env.ADMIN_PASSWORD ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD } : undefined,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
      refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      rateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
      loginMaxFailures: env.LOGIN_MAX_FAILURES,
      loginMaxFailuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
      loginMaxFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginLockoutSeconds: env.LOGIN_LOCKOUT_SECONDS,
      passwordHashing: env.NODE_ENV === 'test' ? 'fast-for-tests' : 'owasp',
    },
    mail: { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM },
    audit: { retentionDays: env.AUDIT_RETENTION_DAYS },
    backup: { cron: env.BACKUP_CRON, keep: env.BACKUP_KEEP },
    realtime: {
      heartbeatMs: env.REALTIME_HEARTBEAT_MS,
      maxBufferedBytes: env.REALTIME_MAX_BUFFER_BYTES,
      maxSocketsPerUser: env.REALTIME_MAX_SOCKETS_PER_USER,
      retention: {
        minAgeMs: env.REALTIME_RETENTION_SECONDS * 1000,
        minCount: env.REALTIME_RETENTION_EVENTS,
        maxBytesPerRoom: env.REALTIME_RETENTION_BYTES_PER_ROOM,
        maxRooms: env.REALTIME_MAX_ROOMS,
      },
    },
    jobs: { workers: env.JOBS_WORKERS, concurrency: env.JOBS_CONCURRENCY, pollIntervalMs: env.JOBS_POLL_INTERVAL_MS, schema: env.JOBS_SCHEMA },
    files: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      storageQuotaBytes: env.STORAGE_QUOTA_BYTES,
      uploadRateLimitPerMinute: env.UPLOAD_RATE_LIMIT_PER_MINUTE,
      storage: storageConfig(env, dataDir),
      clamav: env.CLAMAV_HOST ? { host: env.CLAMAV_HOST, port: env.CLAMAV_PORT } : undefined,
    },
    moduleSettings: env.moduleSettings,
  })
}

/** S3 when asked for, or implied by S3_BUCKET; otherwise local disk under DATA_DIR/files. */
function storageConfig(env: Env, dataDir: string): StorageConfig {
  const driver = env.STORAGE_DRIVER ?? (env.S3_BUCKET ? 's3' : 'local')
  if (driver === 'local') return { driver, root: join(dataDir, 'files') }
  return {
    driver,
    bucket: env.S3_BUCKET!,
    region: env.S3_REGION,
    endpoint: env.S3_ENDPOINT,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    requestTimeoutMs: env.S3_REQUEST_TIMEOUT_MS,
    credentials:
      env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY } : undefined,
  }
}

function parseEnv(source: RawEnv, modules: readonly ModuleSettingsOwner[]): Env & { moduleSettings: Config['moduleSettings'] } {
  const picked: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key]?.trim()
    if (value) picked[key] = value
  }
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, picked))
  const problems = new Map<string, string>()
  for (const error of Value.Errors(EnvSchema, value)) {
    const name = error.instancePath.slice(1) as keyof Env
    if (!problems.has(name)) problems.set(name, `${shownValue(name, picked[name] ?? '')} is invalid: expected ${envHints[name]}`)
  }
  if (Boolean(picked.ADMIN_EMAIL) !== Boolean(picked.ADMIN_PASSWORD)) {
    problems.set('ADMIN_EMAIL', 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together')
  }
  if (picked.STORAGE_DRIVER === 's3' && !picked.S3_BUCKET) {
    problems.set('S3_BUCKET', 'S3_BUCKET is required when STORAGE_DRIVER=s3')
  }
  if (Boolean(picked.S3_ACCESS_KEY_ID) !== Boolean(picked.S3_SECRET_ACCESS_KEY)) {
    problems.set('S3_ACCESS_KEY_ID', 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together')
  }
  const { SHUTDOWN_TIMEOUT_MS: shutdownMs, REQUEST_TIMEOUT_MS: requestMs } = value as Env
  if (!problems.has('SHUTDOWN_TIMEOUT_MS') && !problems.has('REQUEST_TIMEOUT_MS') && shutdownMs !== undefined && shutdownMs < requestMs + SHUTDOWN_MIN_ROOM_MS) {
    problems.set(
      'SHUTDOWN_TIMEOUT_MS',
      `SHUTDOWN_TIMEOUT_MS=${shutdownMs} is too short for REQUEST_TIMEOUT_MS=${requestMs}: a request still arriving may take that long to finish, and stopping jobs and closing the database need ${SHUTDOWN_MIN_ROOM_MS} ms more; set at least ${requestMs + SHUTDOWN_MIN_ROOM_MS}, or leave it unset (REQUEST_TIMEOUT_MS + ${SHUTDOWN_DEFAULT_ROOM_MS})`,
    )
  }
  const cron = picked.BACKUP_CRON ? cronProblem(picked.BACKUP_CRON) : undefined
  if (cron) problems.set('BACKUP_CRON', `${shownValue('BACKUP_CRON', picked.BACKUP_CRON!)} is invalid (${cron}): expected ${envHints.BACKUP_CRON}`)
  const moduleSettings: Record<string, unknown> = {}
  const moduleProblems: string[] = []
  for (const owner of enabledModules(modules, picked.MODULES)) {
    if (!owner.settings) continue
    const parsed = parseModuleSettings(owner.settings, source)
    if ('problems' in parsed) moduleProblems.push(...parsed.problems)
    else moduleSettings[owner.name] = parsed.value
  }
  const keyProblems = parsePreviousKeys(picked.ENCRYPTION_KEYS_PREVIOUS, picked.ENCRYPTION_KEY_ID ?? 'k1', problems.has('ENCRYPTION_KEY') ? undefined : picked.ENCRYPTION_KEY).problems
  if (problems.size > 0 || moduleProblems.length > 0 || keyProblems.length > 0) throw new ConfigError([...problems.values(), ...keyProblems, ...moduleProblems])
  return { ...(value as Env), moduleSettings }
}

/**
 * The modules whose settings are validated: those MODULES enables (every one when unset). A disabled
 * module's settings are not read, so a value meant for it cannot stop a start that does not run it.
 * Names MODULES has that no module has are left to the boot (selectModules), which lists what exists.
 */
function enabledModules(modules: readonly ModuleSettingsOwner[], wanted: string | undefined): ModuleSettingsOwner[] {
  const core = new Set(Object.keys(EnvSchema.properties))
  for (const owner of modules) {
    const problem = settingsNameProblem(owner, core)
    if (problem) throw new Error(problem)
  }
  if (wanted === undefined) return [...modules]
  const names = wanted === 'none' ? [] : (parseList(wanted) ?? [])
  return modules.filter((owner) => names.includes(owner.name))
}

function resolveSecrets(env: Env, dataDir: string): Config['secrets'] {
  if (env.NODE_ENV === 'production') {
    const missing = (['JWT_SECRET', 'ENCRYPTION_KEY'] as const).filter((name) => !env[name])
    if (missing.length > 0) {
      throw new ConfigError(missing.map((name) => `${name} is required when NODE_ENV=production (${envHints[name]})`))
    }
  }
  const missing = (['JWT_SECRET', 'ENCRYPTION_KEY'] as const).filter((name) => !env[name])
  // Instances sharing a PostgreSQL database must share generated secrets too: they are kept in the
  // database (a DATA_DIR's earlier ones are proposed first, so an existing setup keeps its own).
  const generated = missing.length === 0 ? undefined : env.DATABASE_URL ? (readDevSecrets(dataDir) ?? generateSecrets()) : loadOrCreateDevSecrets(dataDir)
  const jwtSecret = env.JWT_SECRET ?? generated!.jwtSecret
  const encryptionKey = env.ENCRYPTION_KEY ?? generated!.encryptionKey
  return {
    jwtSecret,
    encryptionKey: decodeKey(encryptionKey),
    encryptionKeyId: env.ENCRYPTION_KEY_ID,
    previousEncryptionKeys: parsePreviousKeys(env.ENCRYPTION_KEYS_PREVIOUS, env.ENCRYPTION_KEY_ID, env.ENCRYPTION_KEY).keys,
    fromDatabase: env.DATABASE_URL ? missing : [],
    fromDataDir: env.DATABASE_URL ? [] : missing,
  }
}

function parseOrigins(raw: string): readonly string[] | '*' {
  return raw.trim() === '*' ? '*' : (parseList(raw) ?? [])
}

function parseList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined
  return raw.split(',').map((part) => part.trim()).filter(Boolean)
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object' && !Buffer.isBuffer(inner) && !Object.isFrozen(inner)) deepFreeze(inner as object)
  }
  return Object.freeze(value)
}
