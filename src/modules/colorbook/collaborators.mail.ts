import type { MailTemplate } from '../../core/email/module-mail.js'

export const SHARED_TEMPLATE = 'project-shared'
export const INVITE_TEMPLATE = 'project-invite'

export type ShareMail = {
  readonly ownerName: string
  readonly projectTitle: string
  readonly role: 'editor' | 'viewer'
  /** Where the reader opens the project, or signs up. */
  readonly url: string
}

const can = (role: ShareMail['role']): string => (role === 'editor' ? 'view and edit' : 'view')
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim()

/** To an account: the project is theirs to open now. */
const sharedTemplate: MailTemplate<ShareMail> = {
  subject: (data) => `${oneLine(data.ownerName)} shared “${oneLine(data.projectTitle)}” with you`,
  text: (data, to) =>
    [
      `Hello ${to.name ?? 'there'},`,
      '',
      `${oneLine(data.ownerName)} shared the colouring book “${oneLine(data.projectTitle)}” with you: you can ${can(data.role)} it.`,
      '',
      `Open it: ${data.url}`,
      '',
    ].join('\n'),
}

/** To an address with no account: the share applies once they sign up with this address and verify it. */
const inviteTemplate: MailTemplate<ShareMail> = {
  subject: (data) => `${oneLine(data.ownerName)} invited you to “${oneLine(data.projectTitle)}”`,
  text: (data) =>
    [
      'Hello,',
      '',
      `${oneLine(data.ownerName)} invited you to the colouring book “${oneLine(data.projectTitle)}”: once you have an account you can ${can(data.role)} it.`,
      '',
      `Sign up with this e-mail address: ${data.url}`,
      '',
      'The project appears in your account as soon as you have verified the address. If you did not expect this, ignore this e-mail.',
      '',
    ].join('\n'),
}

export const collaboratorMailTemplates = { [SHARED_TEMPLATE]: sharedTemplate, [INVITE_TEMPLATE]: inviteTemplate } as unknown as Record<string, MailTemplate>
