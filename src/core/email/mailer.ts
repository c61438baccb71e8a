import type { FastifyBaseLogger } from 'fastify'
import nodemailer, { type Transporter } from 'nodemailer'
import type { OutboxRepository } from './outbox.repository.js'

export interface EmailMessage {
  to: string
  subject: string
  text: string
  html?: string
  /** The action link in the message; logged by the outbox in development so the flow can be followed. */
  link?: string
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>
  close(): void
}

/**
 * nodemailer waits up to 2 minutes to connect, 30 s for the greeting and 10 minutes on a silent
 * socket; a request that sends mail (registration) would hang that long on a stuck SMTP server.
 * Parameters in SMTP_URL's query string (`?connectionTimeout=…`) still take precedence.
 */
export const SMTP_TIMEOUT_MS = 10_000

/** Real delivery over SMTP (SMTP_URL). */
export function smtpMailer(url: string, from: string, timeoutMs = SMTP_TIMEOUT_MS): Mailer {
  const transport: Transporter = nodemailer.createTransport({ url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs })
  return {
    async send({ to, subject, text, html }) {
      await transport.sendMail({ from, to, subject, text, ...(html ? { html } : {}) })
    },
    close: () => transport.close(),
  }
}

/**
 * Without SMTP_URL, messages are stored in `email_outbox`; outside production the link is
 * also logged so a developer can follow a verification or reset flow from the console.
 */
export function outboxMailer(outbox: OutboxRepository, log: FastifyBaseLogger, logLinks: boolean): Mailer {
  return {
    async send({ to, subject, text, html, link }) {
      await outbox.append({ to, subject, text, ...(html ? { html } : {}) })
      if (logLinks && link) log.info({ to, subject, link }, 'e-mail kept in the outbox (no SMTP_URL)')
      else log.info({ to, subject }, 'e-mail kept in the outbox (no SMTP_URL)')
    },
    close: () => {},
  }
}
