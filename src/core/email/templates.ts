import type { EmailMessage } from './mailer.js'

export function verificationEmail(to: string, name: string, link: string): EmailMessage {
  return {
    to,
    link,
    subject: 'Confirm your e-mail address',
    text: `Hello ${name},\n\nConfirm your e-mail address by opening this link within 24 hours:\n\n${link}\n\nIf you did not create an account, ignore this message.\n`,
  }
}

export function passwordResetEmail(to: string, name: string, link: string): EmailMessage {
  return {
    to,
    link,
    subject: 'Reset your password',
    text: `Hello ${name},\n\nSomeone asked to reset the password of your account. To choose a new one, open this link within 1 hour:\n\n${link}\n\nIf it was not you, ignore this message: your password stays as it is.\n`,
  }
}
