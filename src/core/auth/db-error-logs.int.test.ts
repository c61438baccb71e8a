import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { waitFor } from '../../../test/helpers/identity.js'
import { captureLogs } from '../../../test/helpers/logs.js'

const logs = captureLogs()
const app = useTestApp({ env: { LOG_LEVEL: 'info' }, logStream: logs.stream })

// Triggers that fail the insert of this file's rows only (the worker's database is shared with the
// other test files it runs), quoting the row in DETAIL as a unique violation's "Key (…)=(…)" does.
const tag = randomUUID().replaceAll('-', '').slice(0, 12)
const failingUsers = `users-fail-${tag}`
const failingOutbox = `outbox-fail-${tag}`

const execute = (statement: string) => app().platform.database.db.execute(sql.raw(statement))

beforeAll(async () => {
  await execute(`CREATE FUNCTION log_test_fail_${tag}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'forced failure' USING CONSTRAINT = 'log_test_${tag}', TABLE = TG_TABLE_NAME, DETAIL = 'Row ' || row_to_json(NEW)::text;
    END $$`)
  await execute(`CREATE TRIGGER log_test_users_${tag} BEFORE INSERT ON users FOR EACH ROW WHEN (NEW.email LIKE '${failingUsers}%') EXECUTE FUNCTION log_test_fail_${tag}()`)
  await execute(`CREATE TRIGGER log_test_outbox_${tag} BEFORE INSERT ON email_outbox FOR EACH ROW WHEN (NEW."to" LIKE '${failingOutbox}%') EXECUTE FUNCTION log_test_fail_${tag}()`)
})

afterAll(async () => {
  await execute(`DROP TRIGGER IF EXISTS log_test_users_${tag} ON users`)
  await execute(`DROP TRIGGER IF EXISTS log_test_outbox_${tag} ON email_outbox`)
  await execute(`DROP FUNCTION IF EXISTS log_test_fail_${tag}()`)
})

const password = `db-error-canary-${tag}`

describe('a failed database write in the log', () => {
  it('names the SQLSTATE, constraint and table of a failed registration, never the password or its hash', async () => {
    const email = `${failingUsers}@example.test`
    const response = await app().inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: 'Failing' } })
    expect(response.statusCode, response.body).toBe(500)

    const line = await logs.waitForLine((entry) => entry.msg === 'request failed')
    expect(line.err).toMatchObject({ code: 'P0001', constraint: `log_test_${tag}`, table: 'users', message: expect.stringMatching(/^Failed query: insert into "users"/) })
    const all = logs.lines.join('')
    expect(all).not.toContain(password)
    expect(all).not.toContain('$argon2id$')
    expect(all).not.toContain('Row {')
  })

  it('names the failure of an outbox insert in the job’s log, never the verification link or its token', async () => {
    const email = `${failingOutbox}@example.test`
    const response = await app().inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: 'Unmailed' } })
    expect(response.statusCode, response.body).toBe(201)

    const line = await logs.waitForLine((entry) => entry.job === 'email.send' && typeof entry.err === 'object')
    expect(line.err).toMatchObject({ code: 'P0001', constraint: `log_test_${tag}`, table: 'email_outbox', message: expect.stringMatching(/^Failed query: insert into "email_outbox"/) })
    const all = logs.lines.join('')
    expect(all).not.toMatch(/token=/)
    expect(all).not.toContain('/verify-email')
    expect(all).not.toContain('Row {')
  })

  it('keeps the failed e-mail job’s error in the queue without the link, its token or the row', async () => {
    const email = `${failingOutbox}-stored@example.test`
    const response = await app().inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: 'Unmailed' } })
    expect(response.statusCode, response.body).toBe(201)

    // pg-boss keeps the attempt's error in `output`; the record shows its message.
    const { schema } = app().platform.config.jobs
    const jobOf = async () => {
      const rows = await execute(`SELECT id, output::text AS output FROM "${schema}".job WHERE name = 'email.send' AND data->>'to' = '${email}' AND output IS NOT NULL`)
      return (rows as { id: string; output: string }[])[0]
    }
    const { id, output } = await waitFor(jobOf, 10_000)
    expect(output).toMatch(/Failed query: insert into \\"email_outbox\\"/)
    expect(output).toContain('P0001')
    expect(output).not.toMatch(/token=/)
    expect(output).not.toContain('/verify-email')
    expect(output).not.toContain('params')
    expect(output).not.toContain('Row {')
    const record = await app().platform.jobs.find('email.send', id)
    expect(record?.error).toMatch(/^Failed query: insert into "email_outbox"/)
    expect(record?.error).not.toContain('params')
  })
})
