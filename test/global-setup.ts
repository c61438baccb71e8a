import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'
import { createDatabase } from '../src/core/db/client.js'
import { databaseName, postgresJsTarget, withDatabaseName } from '../src/core/db/connection.js'
import { EmbeddedServer } from '../src/core/db/embedded/server.js'
import { compileSources } from './helpers/compiled-sources.js'
import { TEST_SERVER_SETTINGS } from './helpers/test-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's migrated template database: each worker's database and each private one is a copy. */
    templateUrl: string
    /** `embedded`: a PostgreSQL server started for this run; `postgres`: the server DATABASE_URL names. */
    databaseServer: 'embedded' | 'postgres'
    /** A compiled copy of src/ for child processes (test/helpers/server-process.ts), or '' to run them under tsx. */
    compiledRoot: string
  }
}

/**
 * One PostgreSQL server per run: the one DATABASE_URL names, or an embedded server started here in a
 * throwaway DATA_DIR. Its database is migrated once and serves as the template every test worker's
 * database is cloned from (CREATE DATABASE … TEMPLATE, test/setup-database.ts). Meanwhile src/ is
 * compiled once for the tests that start the server or the CLI as processes (compiled-sources.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.DATABASE_URL
  const dir = mkdtempSync(join(tmpdir(), 'plinth-test-'))
  const compiledRoot = join(dir, 'compiled')
  const compiled = compileSources(compiledRoot)
  const server = given ? undefined : await EmbeddedServer.start({ dataDir: dir, role: 'server', log: quiet, settings: TEST_SERVER_SETTINGS })
  const templateUrl = given ?? server!.url
  const template = await createDatabase({ url: templateUrl, poolSize: 1, dataDir: dir })
  await template.migrate()
  await template.close()
  project.provide('templateUrl', templateUrl)
  project.provide('databaseServer', server ? 'embedded' : 'postgres')
  project.provide('compiledRoot', (await compiled) ? compiledRoot : '')
  return async () => {
    await dropCopies(templateUrl)
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Drops the workers' and private databases cloned from the template (`<template>_…`). */
async function dropCopies(templateUrl: string): Promise<void> {
  const target = postgresJsTarget(withDatabaseName(templateUrl, 'postgres'))
  const sql = postgres(target.url, { ...target.options, max: 1, onnotice: () => {} })
  try {
    const prefix = `${databaseName(templateUrl)}_`
    const copies = await sql<{ datname: string }[]>`select datname from pg_database where starts_with(datname, ${prefix})`
    for (const { datname } of copies) await sql.unsafe(`drop database if exists "${datname}" with (force)`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

const quiet = { info: () => {}, warn: () => {}, error: (details: object, message: string) => console.error(message, details) }
