import type { MailTemplate } from '../../core/email/module-mail.js'

export const PAYMENT_FAILED_TEMPLATE = 'payment-failed'

export type PaymentFailedMail = {
  /** e.g. "12.00 EUR", or null when the invoice names no amount. */
  readonly amount: string | null
  /** When Stripe tries again (ISO date), or null when it will not. */
  readonly nextAttempt: string | null
  /** The app's billing page, where the customer portal updates the card. */
  readonly billingUrl: string
}

/** invoice.payment_failed: the renewal could not be charged. */
export const paymentFailedTemplate: MailTemplate<PaymentFailedMail> = {
  subject: () => 'Your ColorBook payment failed',
  text: (data, to) =>
    [
      `Hello ${to.name ?? 'there'},`,
      '',
      `We could not charge ${data.amount ? `${data.amount} ` : ''}for your ColorBook subscription.`,
      data.nextAttempt ? `We will try again on ${data.nextAttempt.slice(0, 10)}.` : 'We will not try again automatically.',
      `Update your payment method on your billing page: ${data.billingUrl}`,
      '',
      'Until the subscription is paid or ends, your plan stays as it is; if it ends, your projects stay readable on the free plan.',
      '',
    ].join('\n'),
}
