import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureLogs } from '../../../test/helpers/logs.js'
import { closeTestDatabase, testDatabase } from '../../../test/helpers/database.js'
import type { Db } from '../db/client.js'
import { describeError, serializeError } from './log-errors.js'
import { loggerOptions } from './logger.js'

const SECRET = `$argon2id$v=19$m=65536,t=3,p=4$${randomUUID()}`
const table = `log_errors_${randomUUID().replaceAll('-', '').slice(0, 12)}`

/** A pino logger with the app's options, writing to memory. */
function appLogger() {
  const { stream, lines } = captureLogs()
  const options = loggerOptions('info', stream) as pino.LoggerOptions
  return { log: pino(options, stream), all: () => lines.join('') }
}

let db: Db
let failure: unknown

beforeAll(async () => {
  db = (await testDatabase()).db
  await db.execute(sql.raw(`CREATE TABLE ${table} (id int PRIMARY KEY, secret text CONSTRAINT ${table}_secret_key UNIQUE)`))
  await db.execute(sql`INSERT INTO ${sql.identifier(table)} VALUES (1, ${SECRET})`)
  // The same value again: a unique violation whose detail, params and message all hold the secret.
  failure = await db.execute(sql`INSERT INTO ${sql.identifier(table)} VALUES (2, ${SECRET})`).then(
    () => undefined,
    (error: unknown) => error,
  )
})

afterAll(async () => {
  await db.execute(sql.raw(`DROP TABLE IF EXISTS ${table}`))
  await closeTestDatabase()
})

describe('logged database errors', () => {
  it('carry the SQLSTATE, constraint and table, never the bound values (the driver put them everywhere)', () => {
    // The premise: Drizzle's message and the driver's fields do hold the value.
    expect(failure).toBeInstanceOf(Error)
    expect(JSON.stringify({ message: (failure as Error).message, stack: (failure as Error).stack })).toContain(SECRET)

    const serialized = serializeError(failure)
    expect(serialized).toMatchObject({ code: '23505', constraint: `${table}_secret_key` })
    expect(serialized.message).toMatch(/^Failed query: INSERT INTO "log_errors_\w+" VALUES \(2, \$1\)$/)
    expect(serialized.stack).toMatch(/^\w+: Failed query: INSERT INTO[^\n]*\$1\)\n\s+at /)
    expect(serialized).toMatchObject({ code: '23505', constraint: `${table}_secret_key`, table })
    expect(serialized.cause).toMatchObject({ type: 'PostgresError', code: '23505', constraint: `${table}_secret_key`, table })
    expect(JSON.stringify(serialized)).not.toContain(SECRET)
    expect(describeError(failure)).not.toContain(SECRET)
    expect(describeError(failure)).toContain(`constraint ${table}_secret_key`)
  })

  it('reach no log line with their values, logged as { err } or as the first argument', () => {
    const { log, all } = appLogger()
    log.error({ err: failure }, 'request failed')
    log.child({ job: 'email.send' }).warn({ err: failure, attempt: 1 }, 'job failed; it will be retried')
    log.error(failure)
    const lines = all()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; err: { code: string } })
    expect(lines).toHaveLength(3)
    expect(lines.map((line) => line.err.code)).toEqual(['23505', '23505', '23505'])
    expect(lines[2]!.msg).toMatch(/^Failed query: INSERT INTO/)
    expect(all()).not.toContain(SECRET)
  })
})

// Errors shaped as the other drivers make them, for what the database in this run cannot show.
describe('serializeError', () => {
  it('keeps a postgres.js error’s fields by their names there, and drops parameters, args and detail', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
      name: 'PostgresError',
      code: '23505',
      constraint_name: 'users_email_key',
      table_name: 'users',
      column_name: 'email',
      schema_name: 'public',
      detail: `Key (email)=(${SECRET}) already exists.`,
      parameters: [SECRET],
      args: [SECRET],
      query: 'insert into users values ($1)',
    })
    const serialized = serializeError(new Error('Failed query: insert into users values ($1)\nparams: ' + SECRET, { cause: error }))
    expect(serialized).toMatchObject({ code: '23505', constraint: 'users_email_key', table: 'users', column: 'email', schema: 'public' })
    expect(serialized.cause).toEqual({
      type: 'PostgresError',
      message: 'duplicate key value violates unique constraint "users_email_key"',
      stack: expect.stringMatching(/^PostgresError: duplicate key/),
      code: '23505',
      constraint: 'users_email_key',
      table: 'users',
      column: 'email',
      schema: 'public',
    })
    expect(JSON.stringify(serialized)).not.toContain(SECRET)
  })

  it('masks a value PostgreSQL quotes at the end of its message', () => {
    const error = Object.assign(new Error(`invalid input syntax for type uuid: "${SECRET}"`), { code: '22P02' })
    expect(serializeError(error).message).toBe('invalid input syntax for type uuid: "[REDACTED]"')
    expect(serializeError(error).stack).not.toContain(SECRET)
  })

  it('keeps only frames of a stack whose message was changed after it was taken', () => {
    const error = new Error(`Failed query: insert into users values ($1, $2)\nparams: x\n    at evil (f.js:1:1),${SECRET}`)
    error.message = 'wrapped'
    const { stack } = serializeError(error)
    expect(stack).toMatch(/^Error: wrapped\n\s+at /)
    expect(stack).not.toContain(SECRET)
    expect(stack).not.toContain('params')
  })

  it('cuts the header where the message ends, whatever the values look like', () => {
    const error = new Error(`Failed query: insert into users values ($1, $2)\nparams: x\n    at evil (f.js:1:1),${SECRET}\n    at more (f.js:2:2)`)
    const { stack, message } = serializeError(error)
    expect(message).toBe('Failed query: insert into users values ($1, $2)')
    expect(stack).not.toContain(SECRET)
    expect(stack).not.toContain('evil')
  })

  it('keeps system-call fields and AggregateError members, and an ioredis command’s name without its arguments', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 })
    expect(serializeError(new AggregateError([refused], 'all addresses failed'))).toMatchObject({
      type: 'AggregateError',
      errors: [{ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 }],
    })
    const reply = Object.assign(new Error('ERR wrong number of arguments'), { name: 'ReplyError', command: { name: 'set', args: ['session:1', SECRET] } })
    expect(serializeError(reply)).toMatchObject({ type: 'ReplyError', command: 'set' })
    expect(JSON.stringify(serializeError(reply))).not.toContain(SECRET)
  })

  it('drops whatever else an error carries', () => {
    const error = Object.assign(new Error('boom'), { statusCode: 500, details: { password: SECRET }, request: { body: SECRET } })
    expect(serializeError(error)).toEqual({ type: 'Error', message: 'boom', stack: expect.stringMatching(/^Error: boom\n/), statusCode: 500 })
  })
})
