import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll } from 'vitest'
import { availableModules, buildApp, type AppOptions } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/index.js'
import type { ModuleDefinition } from '../../src/core/module.js'
import { closeTestDatabase, testDatabase } from './database.js'

export const TEST_SECRETS = { JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!', ENCRYPTION_KEY: '11'.repeat(32) }

/**
 * A config as `npm start` would build it, on a temp DATA_DIR and the run's services, with the
 * settings of `modules` (default: the app's) validated as at boot.
 */
export function testConfig(env: Record<string, string | undefined> = {}, modules: readonly ModuleDefinition[] = availableModules): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-app-')),
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    ...TEST_SECRETS,
    // Every request of the suite comes from 127.0.0.1: limits are off unless a test sets them
    // (rate-limit tests use their own `remoteAddress`).
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: '0',
    CHAT_SEND_RATE_LIMIT_PER_MINUTE: '0',
    UPLOAD_RATE_LIMIT_PER_MINUTE: '0',
    // A job queue per app: apps of parallel test files share the run's PostgreSQL database, and one
    // must not work another's jobs (an SMTP app's e-mail landing in another app's outbox).
    JOBS_SCHEMA: `jobs_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    ...env,
  }, { modules })
}

export interface TestAppOptions extends Omit<AppOptions, 'database'> {
  env?: Record<string, string | undefined>
  /** Registers fixture routes before the app is ready. */
  setup?: (app: FastifyInstance) => Promise<void> | void
}

/** The real app on the file's shared test database (migrated once per run). */
export async function buildTestApp(options: TestAppOptions = {}): Promise<FastifyInstance> {
  const { env, setup, ...appOptions } = options
  const app = await buildApp(testConfig(env, appOptions.modules), { ...appOptions, database: await testDatabase(), migrate: false })
  await setup?.(app)
  await app.ready()
  return app
}

/** One app for a whole test file: `const app = useTestApp()` then `app().inject(...)`. */
export function useTestApp(options: TestAppOptions = {}): () => FastifyInstance {
  let app: FastifyInstance | undefined
  beforeAll(async () => {
    app = await buildTestApp(options)
  })
  afterAll(async () => {
    await app?.close()
    await closeTestDatabase()
  })
  return () => {
    if (!app) throw new Error('The test app is not built yet')
    return app
  }
}
