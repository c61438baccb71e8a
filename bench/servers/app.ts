import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { v7 as uuidv7 } from 'uuid'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/index.js'
import { headerActor, notesModule } from '../../test/fixtures/notes/index.js'
import { createNotesTable } from '../../test/fixtures/notes/schema.js'
import { exitOnShutdown, failStartup, printReady } from './lifecycle.js'

/**
 * The real Plinth app, built as `src/server.ts` builds it, with the notes fixture module and
 * header authentication (`x-test-actor`). Request logging stays on at `info`: its cost is part
 * of what a production instance pays.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'plinth-bench-'))
const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true })
const actor = `${uuidv7()}:user`
let app: FastifyInstance | undefined

exitOnShutdown(async () => {
  await app?.close()
  removeDataDir()
}, removeDataDir)

async function start(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'b'.repeat(48),
    ENCRYPTION_KEY: 'ab'.repeat(32),
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: process.env.DATABASE_URL,
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE,
  })
  app = await buildApp(config, { modules: [notesModule], authenticate: headerActor })
  await app.platform.database.db.execute(createNotesTable)
  const noteId = await insertNote(app)
  await app.listen({ host: config.host, port: config.port })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, noteId, actor, database: app.platform.database.kind })
}

async function insertNote(app: FastifyInstance): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/notes', headers: { 'x-test-actor': actor }, payload: { title: 'bench' } })
  if (response.statusCode !== 201) throw new Error(`POST /api/notes answered ${response.statusCode}: ${response.body}`)
  return (response.json<{ id: string }>()).id
}

start().catch((error: unknown) => failStartup(error, removeDataDir))
