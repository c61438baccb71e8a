import type { FastifyBaseLogger } from 'fastify'
import Stripe from 'stripe'
import { AppError } from '../../core/errors/app-error.js'
import type { ColorbookSettings } from './settings.js'

/** Seconds a signed webhook stays valid (Stripe's default): a replay older than this is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300

/** The Stripe calls billing makes; failures become 503 BILLING_UNAVAILABLE (the cause goes to the log). */
export interface StripeGateway {
  checkout(params: Stripe.Checkout.SessionCreateParams, idempotencyKey: string | undefined): Promise<string>
  portal(customerId: string, returnUrl: string): Promise<string>
  /** Ends a subscription now (its account was deleted); one already gone (404 at Stripe) counts as ended. */
  cancelSubscription(subscriptionId: string): Promise<void>
  /** The event, or 400 BILLING_SIGNATURE_INVALID (bad, missing or stale signature). */
  verify(rawBody: Buffer, signature: string | undefined): Stripe.Event
}

/** The real client (pointed at COLORBOOK_STRIPE_API_URL when set), or null when billing is off. */
export function createStripeGateway(settings: ColorbookSettings['stripe'], log: FastifyBaseLogger): StripeGateway | null {
  if (!settings.secretKey) return null
  const url = settings.apiUrl
  const client = new Stripe(settings.secretKey, {
    maxNetworkRetries: 2,
    timeout: 15_000,
    telemetry: false,
    appInfo: { name: 'Plinth ColorBook' },
    ...(url ? { host: url.hostname, port: url.port || (url.protocol === 'https:' ? 443 : 80), protocol: url.protocol === 'https:' ? 'https' : 'http' } : {}),
  })
  const unavailable = (err: unknown, what: string): never => {
    // Stripe's error (type, code, request id) without the key: the client never puts it in errors.
    log.error({ err, stripe: what }, 'stripe call failed')
    throw new AppError('BILLING_UNAVAILABLE')
  }
  return {
    async checkout(params, idempotencyKey) {
      const session = await client.checkout.sessions.create(params, idempotencyKey ? { idempotencyKey } : undefined).catch((err: unknown) => unavailable(err, 'checkout.sessions.create'))
      if (!session.url) return unavailable(new Error('Checkout session without a url'), 'checkout.sessions.create')
      return session.url
    },
    async portal(customerId, returnUrl) {
      const session = await client.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }).catch((err: unknown) => unavailable(err, 'billingPortal.sessions.create'))
      return session.url
    },
    async cancelSubscription(subscriptionId) {
      await client.subscriptions.cancel(subscriptionId, undefined, { idempotencyKey: `cancel-${subscriptionId}` }).catch((err: unknown) => {
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return
        return unavailable(err, 'subscriptions.cancel')
      })
    },
    verify(rawBody, signature) {
      if (!settings.webhookSecret) throw new AppError('BILLING_DISABLED', 'The Stripe webhook secret is not configured on this server.')
      if (!signature) throw new AppError('BILLING_SIGNATURE_INVALID', 'The Stripe-Signature header is missing.')
      try {
        return client.webhooks.constructEvent(rawBody, signature, settings.webhookSecret, WEBHOOK_TOLERANCE_SECONDS)
      } catch (err) {
        log.warn({ reason: err instanceof Error ? err.message : 'unknown' }, 'stripe webhook signature refused')
        throw new AppError('BILLING_SIGNATURE_INVALID')
      }
    },
  }
}
