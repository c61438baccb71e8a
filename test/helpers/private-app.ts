import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createDatabase, type Database } from '../../src/core/db/client.js'
import { testConfig } from './app.js'
import { cloneTemplate, dropDatabase } from './database.js'

/**
 * A database no other test file writes to, for tests about global state such as "the last
 * administrator": a fresh copy of the run's migrated template, dropped by `release`.
 */
export async function privateDatabase(): Promise<{ database: Database; url: string; release: () => Promise<void> }> {
  const url = await cloneTemplate(`private_${randomUUID().replaceAll('-', '')}`)
  const database = await createDatabase({ url, poolSize: 4, dataDir: '/nonexistent' })
  return {
    database,
    url,
    release: async () => {
      await database.close()
      await dropDatabase(url)
    },
  }
}

/** Like `useTestApp`, on a private database. */
export function usePrivateApp(): () => FastifyInstance {
  let app: FastifyInstance | undefined
  let release: (() => Promise<void>) | undefined
  beforeAll(async () => {
    const own = await privateDatabase()
    release = own.release
    app = await buildApp(testConfig(), { database: own.database, migrate: false })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await release?.()
  })
  return () => {
    if (!app) throw new Error('The private app is not built yet')
    return app
  }
}
