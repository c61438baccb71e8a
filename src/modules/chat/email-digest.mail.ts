import type { MailTemplate } from '../../core/email/module-mail.js'

export const DIGEST_TEMPLATE = 'notification-digest'

export type DigestMail = {
  readonly items: readonly { readonly title: string; readonly body: string }[]
  /** Where the reader opens the app. */
  readonly url: string
}

const subject = ({ items }: DigestMail): string => (items.length === 1 ? items[0]!.title : `${items.length} unread notifications`)

/** The batched e-mail of what stayed unread: one per user per delay, whatever the number of chats. */
export const digestTemplate: MailTemplate<DigestMail> = {
  subject,
  text: (data, to) =>
    [
      `Hello ${to.name ?? 'there'},`,
      '',
      `While you were away (${data.items.length === 1 ? 'one notification' : `${data.items.length} notifications`}):`,
      '',
      ...data.items.flatMap((item) => [`* ${item.title}`, ...(item.body ? [`  ${item.body.replace(/\s*\n\s*/g, ' ')}`] : [])]),
      '',
      `Open them: ${data.url}`,
      '',
      'You get this e-mail because these stayed unread. Turn it off with "emailDigests": false in your chat preferences (PUT /api/users/me/preferences).',
      '',
    ].join('\n'),
  html: (data, to) =>
    [
      `<p>Hello ${escapeHtml(to.name ?? 'there')},</p>`,
      '<ul>',
      ...data.items.map((item) => `<li><strong>${escapeHtml(item.title)}</strong>${item.body ? `<br>${escapeHtml(item.body)}` : ''}</li>`),
      '</ul>',
      `<p><a href="${escapeHtml(data.url)}">Open them</a></p>`,
      '<p>You get this e-mail because these stayed unread; turn it off in your chat preferences.</p>',
    ].join('\n'),
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}
