import Type, { type Static } from 'typebox'

/**
 * Every environment variable Plinth reads. README's configuration table and `.env.example`
 * mirror this list; `test/config/docs.test.ts` keeps them in step.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Enum(['development', 'production', 'test'], { default: 'development' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  ENCRYPTION_KEY: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$' })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  MODULES: Type.Optional(Type.String({ pattern: '^[a-z,\\s]*$' })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  REGISTRATION: Type.Enum(['open', 'closed'], { default: 'open' }),
  ADMIN_EMAIL: Type.Optional(Type.String({ format: 'email' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
  AUTH_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, default: 60 }),
  LOGIN_MAX_FAILURES: Type.Integer({ minimum: 1, default: 5 }),
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({ minimum: 1, default: 50 }),
  LOGIN_LOCKOUT_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Plinth <no-reply@localhost>' }),
})

export type Env = Static<typeof EnvSchema>

/** One line per variable, for error messages that tell the operator what to write. */
export const envHints: Record<keyof Env, string> = {
  NODE_ENV: 'one of development, production, test',
  HOST: 'an interface to bind, e.g. 0.0.0.0',
  PORT: 'an integer port 0–65535',
  DATA_DIR: 'a directory path',
  DATABASE_URL: 'a postgres:// or postgresql:// connection URL',
  DATABASE_POOL_SIZE: 'an integer 1–500',
  REDIS_URL: 'a redis:// or rediss:// URL',
  JWT_SECRET: 'a secret of at least 32 characters',
  ENCRYPTION_KEY: 'a 32-byte key as 64 hex characters or 44 base64 characters',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  CORS_ORIGINS: 'a comma-separated list of origins, or *',
  TRUST_PROXY: 'true or false',
  BODY_LIMIT_BYTES: 'an integer number of bytes ≥ 1024',
  REQUEST_TIMEOUT_MS: 'an integer number of milliseconds ≥ 100',
  SHUTDOWN_TIMEOUT_MS: 'an integer number of milliseconds ≥ 100',
  MODULES: 'a comma-separated list of module names, or none',
  PUBLIC_URL: 'the http(s):// base URL clients reach the API at (used in e-mailed links)',
  REGISTRATION: 'open or closed',
  ADMIN_EMAIL: 'an e-mail address',
  ADMIN_PASSWORD: 'a password of 8–128 characters',
  ACCESS_TOKEN_TTL_SECONDS: 'an integer number of seconds 30–86400',
  REFRESH_TOKEN_TTL_DAYS: 'an integer number of days 1–365',
  REFRESH_REUSE_GRACE_SECONDS: 'an integer number of seconds 0–300',
  AUTH_RATE_LIMIT_PER_MINUTE: 'an integer ≥ 0 (0 disables the limit)',
  LOGIN_MAX_FAILURES: 'an integer ≥ 1',
  LOGIN_MAX_FAILURES_PER_IP: 'an integer ≥ 1',
  LOGIN_LOCKOUT_SECONDS: 'an integer number of seconds ≥ 1',
  SMTP_URL: 'an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example:587',
  MAIL_FROM: 'a sender, e.g. Plinth <no-reply@example.com>',
}
