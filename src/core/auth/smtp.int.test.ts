import { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { registerUser } from '../../../test/helpers/auth.js'
import { closeTestDatabase } from '../../../test/helpers/database.js'
import { linkToken, outbox } from '../../../test/helpers/identity.js'
import { captureLogs } from '../../../test/helpers/logs.js'

/** A message as an SMTP server received it. */
interface Received {
  from: string
  to: string[]
  raw: string
}

/** Headers and the decoded text body of a single-part message (nodemailer's text-only e-mails). */
function parse(raw: string): { headers: Record<string, string>; text: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  const body = rest.join('\n\n')
  const encoding = headers['content-transfer-encoding']?.toLowerCase()
  const text =
    encoding === 'quoted-printable'
      ? body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body
  return { headers, text: text.replace(/\r\n/g, '\n') }
}

const received: Received[] = []
const arrivals = new EventEmitter<{ message: [Received] }>()
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      const { mailFrom, rcptTo } = session.envelope
      const message = { from: mailFrom ? mailFrom.address : '', to: rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') }
      received.push(message)
      callback()
      arrivals.emit('message', message)
    })
  },
})

let app: FastifyInstance
let fallback: FastifyInstance

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  const { port } = smtp.server.address() as AddressInfo
  app = await buildTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Plinth Tests <tests@plinth.example>', PUBLIC_URL: 'https://app.plinth.example' } })
})

afterAll(async () => {
  await app?.close()
  await fallback?.close()
  await closeTestDatabase()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

/** The first message to `email` that `match` accepts, received already or when the server receives it. */
function messageTo(email: string, match: (message: Received) => boolean = () => true): Promise<Received> {
  const wanted = (message: Received) => message.to.includes(email) && match(message)
  const already = received.find(wanted)
  if (already) return Promise.resolve(already)
  return new Promise((resolve) => {
    const listener = (message: Received) => {
      if (!wanted(message)) return
      arrivals.off('message', listener)
      resolve(message)
    }
    arrivals.on('message', listener)
  })
}

describe('e-mail over SMTP (SMTP_URL)', () => {
  it('sends the verification e-mail of a new account to its address, with the link', async () => {
    const user = await registerUser(app)

    const message = await messageTo(user.email)
    expect(message.to).toEqual([user.email])
    expect(message.from).toBe('tests@plinth.example')
    const { headers, text } = parse(message.raw)
    expect(headers.subject).toBe('Confirm your e-mail address')
    expect(headers.to).toBe(user.email)
    expect(headers.from).toBe('Plinth Tests <tests@plinth.example>')
    expect(text).toMatch(/^Hello Test User,/)
    expect(text).toMatch(/https:\/\/app\.plinth\.example\/verify-email\?token=[\w-]{43}\n/)

    // The link works, and nothing went to the outbox instead.
    const verified = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: linkToken(text, '/verify-email') } })
    expect(verified.statusCode, verified.body).toBe(200)
    expect(await outbox(app, user.email)).toEqual([])
  })

  it('sends the password reset link after answering 202', async () => {
    const user = await registerUser(app)
    const response = await app.inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: user.email } })
    expect(response.statusCode).toBe(202)

    const reset = await messageTo(user.email, (message) => parse(message.raw).headers.subject === 'Reset your password')
    const token = linkToken(parse(reset.raw).text, '/reset-password')
    const changed = await app.inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token, password: 'a brand new passphrase' } })
    expect(changed.statusCode, changed.body).toBe(204)
  })

  it('still registers the account when the SMTP server is unreachable (the failure is logged, the link is not)', async () => {
    const logs = captureLogs()
    fallback = await buildTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:1', LOG_LEVEL: 'info' }, logStream: logs.stream })
    const user = await registerUser(fallback)
    expect((await fallback.inject({ url: '/api/auth/me', headers: user.headers })).statusCode).toBe(200)
    const failed = await logs.waitForLine((line) => line.job === 'email.send' && typeof line.err === 'object')
    expect(failed).toMatchObject({ msg: 'job failed; it will be retried', err: { code: expect.stringMatching(/^E[A-Z]+$/) } })
    expect(logs.lines.join('')).not.toMatch(/token=|verify-email/)
  })
})
