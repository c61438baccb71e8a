import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { inject } from 'vitest'
import { createDatabase, type Database } from '../../src/core/db/client.js'
import { databaseName, postgresJsTarget, withDatabaseName } from '../../src/core/db/connection.js'

let shared: Promise<Database> | undefined

/**
 * The test file's database: a small pool on its worker's database (DATABASE_URL, a copy of the run's
 * migrated template; test/setup-database.ts). Opened once per file and closed by `closeTestDatabase`.
 */
export function testDatabase(): Promise<Database> {
  shared ??= createDatabase({ url: workerDatabaseUrl(), poolSize: 4, dataDir: '/nonexistent' })
  return shared
}

export async function closeTestDatabase(): Promise<void> {
  const database = shared
  shared = undefined
  await (await database)?.close()
}

export function workerDatabaseUrl(): string {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('DATABASE_URL is not set: test/setup-database.ts sets it for every test file')
  return url
}

/**
 * A copy of the run's migrated template named `<template>_<suffix>` (dropped at the end of the run),
 * and its URL. `reuse`: an existing copy of that name is kept (a worker's database across its files).
 */
export async function cloneTemplate(suffix: string, options: { reuse?: boolean } = {}): Promise<string> {
  const templateUrl = inject('templateUrl')
  const template = databaseName(templateUrl)
  const name = `${template}_${suffix}`
  await onServer(templateUrl, async (sql) => {
    if (options.reuse && (await sql`select 1 from pg_database where datname = ${name}`).length > 0) return
    try {
      await sql.unsafe(`create database "${name}" template "${template}"`)
    } catch (error) {
      // 42P04: a process of the same worker made it first.
      if (!(options.reuse && (error as { code?: string }).code === '42P04')) throw error
    }
  })
  return withDatabaseName(templateUrl, name)
}

export async function dropDatabase(url: string): Promise<void> {
  await onServer(url, (sql) => sql.unsafe(`drop database if exists "${databaseName(url)}" with (force)`))
}

/** Runs `work` on the server's maintenance database (never connected to the template, which must stay free to copy). */
async function onServer(url: string, work: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const target = postgresJsTarget(withDatabaseName(url, 'postgres'))
  const sql = postgres(target.url, { ...target.options, max: 1, onnotice: () => {} })
  try {
    await work(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** Queries the app sent to the database so far (its statement counter). */
export const queriesSoFar = (app: FastifyInstance): number => app.platform.database.queryCount()
