import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mailedLinksLogged, outboxMailer, smtpMailer } from './mailer.js'
import type { OutboxRepository } from './outbox.repository.js'

const message = { to: 'ada@example.test', subject: 'Confirm your e-mail address', text: 'Open https://app.example/verify-email?token=abc', link: 'https://app.example/verify-email?token=abc' }

/** An outbox and a logger that remember what they were given. */
function fakes() {
  const stored: unknown[] = []
  const logged: { object: Record<string, unknown>; text: string }[] = []
  const outbox = { append: async (entry: unknown) => void stored.push(entry) } as unknown as OutboxRepository
  const log = { info: (object: Record<string, unknown>, text: string) => void logged.push({ object, text }) } as unknown as FastifyBaseLogger
  return { stored, logged, outbox, log }
}

describe('outboxMailer', () => {
  it('keeps the message in the outbox, without the link field', async () => {
    const { stored, outbox, log } = fakes()
    await outboxMailer(outbox, log, true).send(message)
    expect(stored).toEqual([{ to: message.to, subject: message.subject, text: message.text }])
  })

  it('logs the link when asked to (development), so the flow can be followed', async () => {
    const { logged, outbox, log } = fakes()
    await outboxMailer(outbox, log, true).send(message)
    expect(logged).toEqual([{ object: { to: message.to, subject: message.subject, link: message.link }, text: expect.any(String) }])
  })

  it('never logs the link otherwise (test, production)', async () => {
    const { logged, outbox, log } = fakes()
    await outboxMailer(outbox, log, false).send(message)
    expect(JSON.stringify(logged)).not.toContain('token=')
  })
})

describe('mailedLinksLogged', () => {
  it('is true only in development without SMTP_URL, where the log is the developer’s mailbox', () => {
    expect(mailedLinksLogged('development', undefined)).toBe(true)
    expect(mailedLinksLogged('development', 'smtp://mail.example:587')).toBe(false)
    expect(mailedLinksLogged('test', undefined)).toBe(false)
    expect(mailedLinksLogged('production', undefined)).toBe(false)
  })
})

describe('smtpMailer', () => {
  // Accepts connections and never says a word, like a stuck mail server; tells when a client hangs up.
  const sockets = new Set<Socket>()
  const hungUp: Promise<void>[] = []
  let silent: Server
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket)
      hungUp.push(new Promise((resolve) => socket.once('close', () => resolve())))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })

  it('gives up on a server that never answers instead of hanging the request', async () => {
    const { port } = silent.address() as AddressInfo
    const mailer = smtpMailer(`smtp://127.0.0.1:${port}`, 'Plinth <no-reply@localhost>', 300)
    // Its own greeting timeout gave up (not the test's timeout, nor a refused connection)...
    await expect(mailer.send(message)).rejects.toMatchObject({ code: 'ETIMEDOUT' })
    // ...and the connection it opened was closed, not left hanging.
    expect(hungUp).toHaveLength(1)
    await hungUp[0]
    mailer.close()
  })
})
