import type { FastifyBaseLogger } from 'fastify'
import type Stripe from 'stripe'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ModuleMail } from '../../core/email/module-mail.js'
import type { UserDirectory } from '../../core/users/directory.js'
import { PAYMENT_FAILED_TEMPLATE, type PaymentFailedMail } from './billing.mail.js'
import type { StripeChanges } from './billing.repository.js'
import type { PaidPlan } from './billing.service.js'
import type { StripeGateway } from './billing.stripe.js'
import { PLAN_IDS, type PlanId } from './domain.js'
import type { ColorbookRepositories, ColorbookStore } from './store.js'

export interface WebhookDeps {
  readonly store: ColorbookStore
  readonly stripe: StripeGateway | null
  readonly users: Pick<UserDirectory, 'exists'>
  readonly mail: ModuleMail
  readonly prices: Readonly<Record<PaidPlan, string | null>>
  readonly returnUrl: string
  readonly log: FastifyBaseLogger
  /** After a commit that changed a user's subscription: their storage quota follows the plan. */
  readonly planChanged: (userId: string) => Promise<void>
}

interface Outcome {
  applied: boolean
  /** Whose subscription row changed. */
  changed?: string
}

const SUBSCRIPTION_EVENTS = new Set(['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted'])
const idOf = (value: string | { id: string } | null | undefined): string | undefined => (typeof value === 'string' ? value : (value?.id ?? undefined))

/**
 * POST /api/billing/webhook: verifies the signature on the raw body, records the event id (each is
 * applied once, even when two deliveries race) and applies it from its payload alone, in one
 * transaction. A subscription row never goes back to an older state: an event created before the
 * newest one applied to the row changes nothing.
 */
export class BillingWebhooks {
  constructor(private readonly deps: WebhookDeps) {}

  async receive(rawBody: Buffer, signature: string | undefined): Promise<{ received: true; applied: boolean }> {
    if (!this.deps.stripe) throw new AppError('BILLING_DISABLED')
    const event = this.deps.stripe.verify(rawBody, signature)
    const outcome = await this.deps.store.transaction(async (repos): Promise<Outcome> => {
      if (!(await repos.billing.claimEvent(event.id, event.type, event.created))) return { applied: false }
      return this.apply(repos, event)
    })
    if (outcome.changed) await this.deps.planChanged(outcome.changed).catch((err: unknown) => this.deps.log.warn({ err, userId: outcome.changed }, 'colorbook: storage quota not updated after a Stripe event'))
    return { received: true, applied: outcome.applied }
  }

  private async apply(repos: ColorbookRepositories, event: Stripe.Event): Promise<Outcome> {
    if (event.type === 'checkout.session.completed') return this.checkoutCompleted(repos, event.data.object, event.created)
    if (SUBSCRIPTION_EVENTS.has(event.type)) return this.subscriptionChanged(repos, event.data.object as Stripe.Subscription, event.type.endsWith('.deleted'), event.created)
    if (event.type === 'invoice.payment_failed') return this.paymentFailed(repos, event.data.object)
    return { applied: false }
  }

  private async checkoutCompleted(repos: ColorbookRepositories, session: Stripe.Checkout.Session, created: number): Promise<Outcome> {
    if (session.mode !== 'subscription') return { applied: false }
    const userId = await this.knownUser(session.client_reference_id ?? session.metadata?.userId, 'checkout.session.completed')
    if (!userId) return { applied: false }
    const plan = paidPlan(session.metadata?.plan)
    const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required'
    const changes: StripeChanges = {
      ...(plan ? { planId: plan } : {}),
      ...(paid ? { status: 'active' } : {}),
      ...optional('stripeCustomerId', idOf(session.customer)),
      ...optional('stripeSubscriptionId', idOf(session.subscription)),
    }
    return this.save(repos, userId, changes, created)
  }

  private async subscriptionChanged(repos: ColorbookRepositories, subscription: Stripe.Subscription, deleted: boolean, created: number): Promise<Outcome> {
    const customerId = idOf(subscription.customer)
    const userId = await this.knownUser(subscription.metadata?.userId ?? (await repos.billing.userOfStripe({ customerId, subscriptionId: subscription.id })), 'customer.subscription')
    if (!userId) return { applied: false }
    const current = await repos.billing.subscriptionOf(userId)
    // The end of an old subscription says nothing of the one the user has now.
    if (deleted && current?.stripeSubscriptionId && current.stripeSubscriptionId !== subscription.id) return { applied: false }
    const item = subscription.items?.data?.[0]
    const periodEnd = item?.current_period_end ?? (subscription as unknown as { current_period_end?: number }).current_period_end
    const plan = this.planOfPrice(item?.price?.id) ?? paidPlan(subscription.metadata?.plan)
    const changes: StripeChanges = {
      ...(plan ? { planId: plan } : {}),
      status: deleted ? 'canceled' : subscription.status,
      stripeSubscriptionId: subscription.id,
      ...optional('stripeCustomerId', customerId),
      currentPeriodEnd: typeof periodEnd === 'number' ? new Date(periodEnd * 1000) : null,
      cancelAtPeriodEnd: subscription.cancel_at_period_end === true,
    }
    return this.save(repos, userId, changes, created)
  }

  private async paymentFailed(repos: ColorbookRepositories, invoice: Stripe.Invoice): Promise<Outcome> {
    const details = invoice.parent?.subscription_details
    const legacySubscription = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription
    const subscriptionId = idOf(details?.subscription ?? legacySubscription)
    const userId = await this.knownUser(details?.metadata?.userId ?? (await repos.billing.userOfStripe({ customerId: idOf(invoice.customer), subscriptionId })), 'invoice.payment_failed')
    if (!userId) return { applied: false }
    const data: PaymentFailedMail = {
      amount: formatAmount(invoice.amount_due, invoice.currency),
      nextAttempt: invoice.next_payment_attempt ? new Date(invoice.next_payment_attempt * 1000).toISOString() : null,
      billingUrl: this.deps.returnUrl,
    }
    // Inside the transaction: if queueing fails the event is not recorded, and Stripe's retry sends it.
    await this.deps.mail.send({ to: { userId }, template: PAYMENT_FAILED_TEMPLATE, data: { ...data } })
    return { applied: true }
  }

  private async save(repos: ColorbookRepositories, userId: string, changes: StripeChanges, created: number): Promise<Outcome> {
    const row = await repos.billing.applyStripe(userId, changes, created)
    return row ? { applied: true, changed: userId } : { applied: false }
  }

  /** The account an event names, if it is one; otherwise the event is recorded and ignored (retrying would not help). */
  private async knownUser(userId: string | null | undefined, what: string): Promise<string | undefined> {
    if (userId && isUuid(userId) && (await this.deps.users.exists(userId))) return userId.toLowerCase()
    this.deps.log.warn({ stripeEvent: what }, 'colorbook: Stripe event for no known account, ignored')
    return undefined
  }

  private planOfPrice(priceId: string | undefined): PaidPlan | undefined {
    if (!priceId) return undefined
    return (Object.entries(this.deps.prices) as [PaidPlan, string | null][]).find(([, price]) => price === priceId)?.[0]
  }
}

function paidPlan(value: string | undefined): PaidPlan | undefined {
  return value && value !== 'free' && (PLAN_IDS as readonly string[]).includes(value) ? (value as Exclude<PlanId, 'free'>) : undefined
}

function optional<K extends keyof StripeChanges>(key: K, value: StripeChanges[K] | undefined): Partial<StripeChanges> {
  return value === undefined ? {} : { [key]: value }
}

/** Minor units as the currency writes them: 1200 eur → "€12.00". */
function formatAmount(minor: number | null | undefined, currency: string | null | undefined): string | null {
  if (typeof minor !== 'number' || !currency) return null
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() })
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2))
  } catch {
    return `${minor} ${currency.toUpperCase()}`
  }
}
