import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { PLAN_IDS } from './domain.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const count = (description: string) => nullable(Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647 }), description)
const PAID_PLANS = PLAN_IDS.filter((id) => id !== 'free')

export const PlanId = Type.Enum(PLAN_IDS, { description: 'A plan: free, pro or enterprise' })
export const PlanParams = Type.Object({ plan: PlanId }, { additionalProperties: false })
export const UserParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const PlanLimits = Type.Object(
  {
    projects: count('Projects outside the trash; null: unlimited'),
    storageBytes: nullable(Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), 'Bytes of stored files (the platform’s per-user storage quota); null: unlimited'),
    versionsPerProject: count('Saved versions per project; null: unlimited'),
    collaboratorsPerProject: count('Collaborators per project (0: no sharing); null: unlimited'),
    premiumTemplates: Type.Boolean({ description: 'May use premium templates' }),
    exportWithoutWatermark: Type.Boolean({ description: 'PDF exports carry no watermark' }),
    whiteLabel: Type.Boolean({ description: 'PDFs and collaborators’ e-mails carry the account’s branding instead of Plinth’s or ColorBook’s' }),
  },
  { additionalProperties: false, title: 'ColorbookPlanLimits', description: 'What a plan allows' },
)

export const PlanView = Type.Object(
  {
    id: PlanId,
    name: Type.String({ maxLength: 100, description: 'Display name' }),
    limits: PlanLimits,
    checkout: Type.Boolean({ description: 'Whether POST /api/billing/checkout can sell this plan here (billing configured and a Stripe price set)' }),
    updatedAt: Timestamp,
  },
  { title: 'ColorbookPlan', description: 'A plan and its limits' },
)

export const PlanList = Type.Object({ items: Type.Array(PlanView, { maxItems: 3, description: 'free, pro, enterprise' }) }, { description: 'Every plan' })

export const UpdatePlanBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'Display name' }),
    limits: PlanLimits,
  },
  { additionalProperties: false, description: 'The plan’s name and every limit (a PUT replaces them all)' },
)

export const SetUserPlanBody = Type.Object({ plan: PlanId }, { additionalProperties: false, description: 'The plan to put the account on (status active)' })

export const SubscriptionView = Type.Object(
  {
    plan: PlanId,
    status: nullable(Type.String({ maxLength: 40 }), 'The subscription’s status as Stripe says it (active, trialing, past_due, canceled, unpaid, incomplete…), active for a plan an admin set; null: never subscribed. Only active, trialing and past_due give their plan; otherwise the plan is free'),
    currentPeriodEnd: nullable(Timestamp, 'When the paid period ends (renews or, with cancelAtPeriodEnd, ends); null without a Stripe subscription'),
    cancelAtPeriodEnd: Type.Boolean({ description: 'The subscription ends at currentPeriodEnd instead of renewing' }),
    limits: PlanLimits,
    usage: Type.Object(
      {
        projects: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Projects outside the trash' }),
        storageBytes: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes of your stored files' }),
      },
      { additionalProperties: false, description: 'What counts against the limits now' },
    ),
    billingEnabled: Type.Boolean({ description: 'Whether checkout and the portal work on this server (else an admin sets plans)' }),
  },
  { title: 'ColorbookSubscription', description: 'Your plan, its state, its limits and what you use' },
)

export const CheckoutBody = Type.Object({ plan: Type.Enum(PAID_PLANS, { description: 'The plan to buy: pro or enterprise' }) }, { additionalProperties: false })
export const IdempotencyHeaders = Type.Object(
  { 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Retry-safe: the same key within 24 hours returns the same Checkout session' })) },
  { additionalProperties: true },
)
export const RedirectUrl = Type.Object({ url: Type.String({ maxLength: 2048, description: 'Where to send the user (a Stripe page)' }) }, { description: 'A Stripe-hosted page' })

export const WebhookHeaders = Type.Object({ 'stripe-signature': Type.Optional(Type.String({ maxLength: 2048, description: 'Stripe’s signature of the raw body' })) }, { additionalProperties: true })
export const WebhookAnswer = Type.Object(
  { received: Type.Boolean({ description: 'Always true' }), applied: Type.Boolean({ description: 'false: already applied (a redelivery), older than what the subscription has seen, or of a type not handled' }) },
  { description: 'The event was verified and recorded' },
)
