import type { JobSender, SendOptions } from '../jobs/index.js'
import { isUuid } from '../db/columns.js'
import type { UserDirectoryRepository } from '../users/directory.repository.js'
import { SendEmail } from './email.job.js'

/** The data a module's template is rendered with. */
export type MailData = Readonly<Record<string, unknown>>

/** Who the message is addressed to, as the template sees it: the account's name, or null for a bare address. */
export interface MailRecipientInfo {
  readonly name: string | null
}

/**
 * A message a module sends, declared in its manifest (`mailTemplates`). Rendered in the sending
 * process when `ctx.mail.send` is called; the result goes through the `email.send` job.
 */
export interface MailTemplate<D extends object = MailData> {
  subject(data: D, to: MailRecipientInfo): string
  text(data: D, to: MailRecipientInfo): string
  html?(data: D, to: MailRecipientInfo): string
}

/** An account (the address is looked up, never shown to the module), or an address the module holds. */
export type MailRecipient = { readonly userId: string } | { readonly address: string }

export interface MailMessage {
  readonly to: MailRecipient
  /** One of the module's `mailTemplates`. */
  readonly template: string
  readonly data?: MailData
}

/** `ModuleContext.mail`: templated e-mail through the job queue. */
export interface ModuleMail {
  /**
   * Renders the module's template and queues it as an `email.send` job: delivered by SMTP, or kept in
   * the outbox without SMTP_URL, with that job's retries (six attempts over 15–30 minutes). Returns the
   * job id, or null when nothing was sent: `userId` is not an active account (deleted, disabled or
   * unknown). An unknown template, a template that throws, or a malformed address throws.
   */
  send(message: MailMessage, options?: SendOptions): Promise<string | null>
}

const TEMPLATE_NAME = /^[a-z][a-z0-9-]*$/
/** RFC 5321's limit on a path; no line breaks, one @. */
const ADDRESS = /^[^\s@]+@[^\s@]+$/
const MAX_ADDRESS = 254

/** Fails the boot on a badly named template. */
export function checkMailTemplates(owner: string, templates: Readonly<Record<string, MailTemplate>> | undefined): void {
  for (const name of Object.keys(templates ?? {})) {
    if (!TEMPLATE_NAME.test(name)) throw new Error(`Mail template "${name}" of "${owner}": names are lower-case letters, digits and hyphens`)
  }
}

export function createModuleMail(owner: string, templates: Readonly<Record<string, MailTemplate>> | undefined, deps: { jobs: JobSender; users: UserDirectoryRepository }): ModuleMail {
  return {
    async send({ to, template, data = {} }, options) {
      const render = templates && Object.hasOwn(templates, template) ? templates[template]! : undefined
      if (!render) throw new Error(`Mail template "${template}" is not declared by module "${owner}" (mailTemplates in its manifest)`)
      let address: string
      let info: MailRecipientInfo
      if ('userId' in to) {
        const recipient = isUuid(to.userId) ? await deps.users.recipient(to.userId.toLowerCase()) : undefined
        if (!recipient) return null
        address = recipient.email
        info = { name: recipient.name }
      } else {
        if (!(to.address.length <= MAX_ADDRESS && ADDRESS.test(to.address))) throw new Error(`Module "${owner}" sent mail to a malformed address`)
        address = to.address
        info = { name: null }
      }
      // A subject is one header line; the text and html are the template's.
      const subject = render.subject(data, info).replace(/[\r\n]+/g, ' ').trim()
      if (subject === '') throw new Error(`Mail template "${owner}/${template}" rendered an empty subject`)
      const html = render.html?.(data, info)
      // No `link`: a module's links (which may hold tokens) are never logged, not even by the development outbox.
      return deps.jobs.send(SendEmail, { to: address, subject, text: render.text(data, info), ...(html !== undefined ? { html } : {}) }, options)
    },
  }
}
