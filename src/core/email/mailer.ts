import type { FastifyBaseLogger } from 'fastify'
import nodemailer, { type Transporter } from 'nodemailer'
import type { OutboxRepository } from './outbox.repository.js'

export interface EmailMessage {
  to: string
  subject: string
  text: string
  html?: string
  /** The action link in the message; logged by the outbox only in development (`mailedLinksLogged`). */
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
 * Whether the outbox logs a message's link: only with NODE_ENV=development (set, or by default) and
 * no SMTP_URL, where the log is the developer's mailbox. A link holds a live verification or reset
 * token, so `test`, `production` and real delivery never log it.
 */
export function mailedLinksLogged(env: string, smtpUrl: string | undefined): boolean {
  return env === 'development' && !smtpUrl
}

/**
 * Without SMTP_URL, messages are stored in `email_outbox`; in development the link is also
 * logged so a developer can follow a verification or reset flow from the console.
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
