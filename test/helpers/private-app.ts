import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createDatabase, type Database } from '../../src/core/db/client.js'
import { testConfig } from './app.js'
import { closeTestDatabase, testDatabase } from './database.js'

/**
 * A database no other test file writes to, for tests about global state such as "the last
 * administrator". On PGlite each file already loads its own copy of the migrated snapshot; on
 * PostgreSQL, where files share the run's database, this creates (and afterwards drops) a fresh one.
 */
export async function privateDatabase(): Promise<{ database: Database; url: string | undefined; release: () => Promise<void> }> {
  const url = process.env.DATABASE_URL
  if (!url) return { database: await testDatabase(), url: undefined, release: closeTestDatabase }
  const name = `plinth_private_${randomUUID().replaceAll('-', '')}`
  const server = await createDatabase({ url, poolSize: 1, dataDir: '/nonexistent' })
  await server.db.execute(sql.raw(`create database ${name}`))
  const own = new URL(url)
  own.pathname = `/${name}`
  const database = await createDatabase({ url: own.toString(), poolSize: 4, dataDir: '/nonexistent' })
  await database.migrate()
  return {
    database,
    url: own.toString(),
    release: async () => {
      await database.close()
      await server.db.execute(sql.raw(`drop database if exists ${name} with (force)`))
      await server.close()
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
