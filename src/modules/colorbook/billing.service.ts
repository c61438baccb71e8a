import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../core/access/actor.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { UserDirectory } from '../../core/users/directory.js'
import type { PlanLimits } from './billing.repository.js'
import type { StripeGateway } from './billing.stripe.js'
import type { PlanRow } from './db/schema.js'
import { PAID_STATUSES, type PlanId } from './domain.js'
import { COLORBOOK_PLANS, type ColorbookPermissions } from './permissions.js'
import type { ColorbookStore } from './store.js'

export type PaidPlan = Exclude<PlanId, 'free'>

export interface BillingDeps {
  readonly permissions: ColorbookPermissions
  readonly store: ColorbookStore
  readonly files: Pick<FilesApi, 'setQuota' | 'bytesUsed'>
  readonly users: Pick<UserDirectory, 'exists'>
  /** Null: billing is off (no COLORBOOK_STRIPE_SECRET_KEY). */
  readonly stripe: StripeGateway | null
  readonly prices: Readonly<Record<PaidPlan, string | null>>
  /** The app's billing page: where Checkout and the portal send the user back. */
  readonly returnUrl: string
  readonly log: FastifyBaseLogger
}

/** Quota updates when an admin changes a plan's storage: this many users a query. */
const QUOTA_BATCH = 500

/** Plans (public list, admin edits), each user's subscription, Stripe Checkout and the customer portal. */
export class BillingService {
  constructor(private readonly deps: BillingDeps) {}

  get enabled(): boolean {
    return this.deps.stripe !== null
  }

  async listPlans() {
    const rows = await this.deps.store.repos.billing.listPlans()
    return { items: rows.map((row) => this.planView(row)) }
  }

  async getPlan(actor: Actor, id: PlanId) {
    this.deps.permissions.require(actor, COLORBOOK_PLANS)
    const row = await this.deps.store.repos.billing.findPlan(id)
    if (!row) throw notFound('Plan')
    return this.planView(row)
  }

  /** Replaces a plan's name and limits. A new storage allowance becomes the quota of everyone on the plan. */
  async updatePlan(actor: Actor, id: PlanId, input: { name: string; limits: PlanLimits }) {
    this.deps.permissions.require(actor, COLORBOOK_PLANS)
    const { billing } = this.deps.store.repos
    const before = await billing.findPlan(id)
    if (!before) throw notFound('Plan')
    const row = (await billing.updatePlan(id, { ...input.limits, name: input.name.trim() }))!
    if (row.storageBytes !== before.storageBytes) await this.applyQuotaToPlan(id, row.storageBytes)
    return this.planView(row)
  }

  /** An admin puts an account on a plan (status active), with or without Stripe; its quota follows. */
  async setUserPlan(actor: Actor, userId: string, planId: PlanId) {
    this.deps.permissions.require(actor, COLORBOOK_PLANS)
    if (!(await this.deps.users.exists(userId))) throw notFound('User')
    await this.deps.store.repos.billing.setPlan(userId, planId)
    return this.subscription(userId)
  }

  /** The caller's plan, status, limits and usage (and, in passing, their storage quota set to the plan's). */
  async subscriptionOf(actor: Actor) {
    this.deps.permissions.require(actor)
    return this.subscription(actor.id)
  }

  /** A Stripe Checkout URL for a paid plan; the webhook applies the result. */
  async checkout(actor: Actor, plan: PaidPlan, idempotencyKey?: string): Promise<{ url: string }> {
    this.deps.permissions.require(actor)
    const stripe = this.gateway()
    const price = this.deps.prices[plan]
    if (!price) throw new AppError('BILLING_DISABLED', `No Stripe price is configured for the ${plan} plan.`, { plan })
    const current = await this.deps.store.repos.billing.subscriptionOf(actor.id)
    if (current?.stripeSubscriptionId && isPaid(current.status)) throw new AppError('BILLING_ALREADY_SUBSCRIBED', undefined, { plan: current.planId, status: current.status })
    const metadata = { userId: actor.id, plan }
    const url = await stripe.checkout(
      {
        mode: 'subscription',
        line_items: [{ price, quantity: 1 }],
        client_reference_id: actor.id,
        metadata,
        subscription_data: { metadata },
        ...(current?.stripeCustomerId ? { customer: current.stripeCustomerId } : {}),
        success_url: `${this.deps.returnUrl}?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${this.deps.returnUrl}?checkout=cancelled`,
      },
      // Scoped to the user: another account's key never returns this session.
      idempotencyKey ? `colorbook-checkout:${actor.id}:${plan}:${idempotencyKey}` : undefined,
    )
    return { url }
  }

  /** A Stripe customer-portal URL (change plan, card, cancel) for a user Stripe knows. */
  async portal(actor: Actor): Promise<{ url: string }> {
    this.deps.permissions.require(actor)
    const stripe = this.gateway()
    const current = await this.deps.store.repos.billing.subscriptionOf(actor.id)
    if (!current?.stripeCustomerId) throw new AppError('BILLING_NO_CUSTOMER')
    return { url: await stripe.portal(current.stripeCustomerId, this.deps.returnUrl) }
  }

  /** Sets the platform storage quota to the user's plan's allowance (0: none). Idempotent. */
  /**
   * Before a deleted account's data goes: a Stripe subscription still paying is cancelled at once, so
   * nobody is billed for an account that no longer exists. Throws while Stripe is unreachable (the
   * platform's cleanup job retries); without billing configured there is nothing to cancel from here
   * (logged, for the operator to cancel in Stripe's dashboard).
   */
  async cancelForDeletedAccount(userId: string): Promise<void> {
    const row = await this.deps.store.repos.billing.subscriptionOf(userId)
    if (!row?.stripeSubscriptionId || !isPaid(row.status)) return
    if (!this.deps.stripe) {
      this.deps.log.warn({ userId, stripeSubscriptionId: row.stripeSubscriptionId }, 'deleted account has a Stripe subscription, but billing is not configured here: cancel it in Stripe')
      return
    }
    await this.deps.stripe.cancelSubscription(row.stripeSubscriptionId)
    await this.deps.store.repos.billing.applyStripe(userId, { status: 'canceled', cancelAtPeriodEnd: false }, Math.floor(Date.now() / 1000))
  }

  async applyQuota(userId: string): Promise<void> {
    const plan = await this.deps.store.repos.plans.planOf(userId)
    await this.deps.files.setQuota(userId, plan.storageBytes ?? 0)
  }

  private async subscription(userId: string) {
    const { repos } = this.deps.store
    const [row, plan, projects, storageBytes] = await Promise.all([repos.billing.subscriptionOf(userId), repos.plans.planOf(userId), repos.projects.countActive(userId), this.deps.files.bytesUsed(userId)])
    await this.deps.files.setQuota(userId, plan.storageBytes ?? 0)
    return {
      plan: plan.id,
      status: row?.status ?? null,
      currentPeriodEnd: row?.currentPeriodEnd?.toISOString() ?? null,
      cancelAtPeriodEnd: row?.cancelAtPeriodEnd ?? false,
      limits: limitsOf(plan),
      usage: { projects, storageBytes },
      billingEnabled: this.enabled,
    }
  }

  private async applyQuotaToPlan(planId: PlanId, storageBytes: number | null): Promise<void> {
    let after: string | undefined
    for (;;) {
      const userIds = await this.deps.store.repos.billing.usersOnPlan(planId, after, QUOTA_BATCH)
      for (const userId of userIds) await this.deps.files.setQuota(userId, storageBytes ?? 0).catch((err: unknown) => this.deps.log.warn({ err, userId }, 'colorbook: storage quota not updated'))
      if (userIds.length < QUOTA_BATCH) return
      after = userIds.at(-1)
    }
  }

  private gateway(): StripeGateway {
    if (!this.deps.stripe) throw new AppError('BILLING_DISABLED')
    return this.deps.stripe
  }

  private planView(row: PlanRow) {
    const price = row.id === 'free' ? null : this.deps.prices[row.id]
    return { id: row.id, name: row.name, limits: limitsOf(row), checkout: this.enabled && price !== null, updatedAt: row.updatedAt.toISOString() }
  }
}

export const isPaid = (status: string): boolean => (PAID_STATUSES as readonly string[]).includes(status)

export function limitsOf(row: PlanRow): PlanLimits {
  return {
    projects: row.projects,
    storageBytes: row.storageBytes,
    versionsPerProject: row.versionsPerProject,
    collaboratorsPerProject: row.collaboratorsPerProject,
    premiumTemplates: row.premiumTemplates,
    exportWithoutWatermark: row.exportWithoutWatermark,
    whiteLabel: row.whiteLabel,
  }
}
