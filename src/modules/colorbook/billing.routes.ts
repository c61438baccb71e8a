import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import * as S from './billing.schemas.js'
import { COLORBOOK_PLANS, COLORBOOK_USE } from './permissions.js'

const tags = ['colorbook']
const DISABLED = 'Without COLORBOOK_STRIPE_SECRET_KEY (or without a price for the plan): 503 BILLING_DISABLED; Stripe unreachable or refusing: 503 BILLING_UNAVAILABLE.'

/** Plans (public and admin), the caller's subscription, Stripe Checkout, the portal and Stripe's webhook. */
export function billingRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { billing } = api

    app.get(
      '/plans',
      {
        schema: {
          tags,
          security: [],
          summary: 'List the plans',
          description: 'Every plan with its limits (null: unlimited) and whether checkout sells it on this server. Public.',
          response: { 200: S.PlanList },
        },
      },
      async () => billing.listPlans(),
    )

    app.get(
      '/admin/plans/:plan',
      {
        schema: { tags, security: bearer(COLORBOOK_PLANS), summary: 'Get a plan (admin)', description: 'Admins only (403 otherwise).', params: S.PlanParams, response: { 200: S.PlanView, ...errorResponses(400, 401, 403, 404) } },
      },
      async (request) => billing.getPlan(requireActor(request), request.params.plan),
    )

    app.put(
      '/admin/plans/:plan',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_PLANS),
          summary: 'Change a plan’s limits (admin)',
          description:
            'Replaces the name and every limit. A changed `storageBytes` becomes the storage quota of every account on the plan at once. A lower limit removes nothing: existing content stays readable and only new writes past it are refused (402 PLAN_LIMIT_REACHED).',
          params: S.PlanParams,
          body: S.UpdatePlanBody,
          response: { 200: S.PlanView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => billing.updatePlan(requireActor(request), request.params.plan, request.body),
    )

    app.put(
      '/admin/users/:id/plan',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_PLANS),
          summary: 'Put an account on a plan (admin)',
          description: 'Sets the plan by hand (status active), with or without Stripe; the account’s storage quota follows. A later Stripe event for the account’s subscription applies over it. Unknown account: 404.',
          params: S.UserParams,
          body: S.SetUserPlanBody,
          response: { 200: S.SubscriptionView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => billing.setUserPlan(requireActor(request), request.params.id, request.body.plan),
    )

    app.get(
      '/billing/subscription',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_USE),
          summary: 'Your plan and subscription',
          description: 'Your plan (free unless a subscription in status active, trialing or past_due gives another), its status, period end, limits and what you use. Works without Stripe (plans an admin set).',
          response: { 200: S.SubscriptionView, ...errorResponses(401, 403) },
        },
      },
      async (request) => billing.subscriptionOf(requireActor(request)),
    )

    app.post(
      '/billing/checkout',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_USE),
          summary: 'Start a Stripe Checkout for a paid plan',
          description: `A Stripe Checkout URL for the plan (client_reference_id and subscription metadata carry your account id); the plan changes when Stripe’s webhook says so. Already paying through Stripe: 409 BILLING_ALREADY_SUBSCRIBED (use the portal). An \`Idempotency-Key\` returns the same session when retried. ${DISABLED}`,
          headers: S.IdempotencyHeaders,
          body: S.CheckoutBody,
          response: { 200: S.RedirectUrl, ...errorResponses(400, 401, 403, 409, 503) },
        },
      },
      async (request) => billing.checkout(requireActor(request), request.body.plan, request.headers['idempotency-key']),
    )

    app.post(
      '/billing/portal',
      {
        schema: {
          tags,
          security: bearer(COLORBOOK_USE),
          summary: 'Open the Stripe customer portal',
          description: `A Stripe customer-portal URL (change plan or card, cancel). Never subscribed through Stripe: 409 BILLING_NO_CUSTOMER. ${DISABLED}`,
          response: { 200: S.RedirectUrl, ...errorResponses(401, 403, 409, 503) },
        },
      },
      async (request) => billing.portal(requireActor(request)),
    )

    await app.register(webhookRoute(api))
  }
}

/** In a plugin of its own: its JSON parser keeps the raw bytes, which the signature covers. */
function webhookRoute(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

    app.post(
      '/billing/webhook',
      {
        schema: {
          tags,
          security: [{ stripeSignature: [] }],
          summary: 'Stripe webhook',
          description:
            'Stripe’s events (application/json), verified on the raw body with COLORBOOK_STRIPE_WEBHOOK_SECRET: a missing, wrong or older-than-5-minutes `Stripe-Signature` is 400 BILLING_SIGNATURE_INVALID and changes nothing. Each event id is applied once; an event older than the last one applied to a subscription changes nothing. ' +
            'Handled: checkout.session.completed, customer.subscription.created|updated|deleted, invoice.payment_failed (e-mails the account); others are recorded and ignored. Without the secret key or the webhook secret: 503 BILLING_DISABLED.',
          headers: S.WebhookHeaders,
          response: { 200: S.WebhookAnswer, ...errorResponses(400, 503) },
        },
      },
      async (request) => api.billingWebhooks.receive(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), request.headers['stripe-signature']),
    )
  }
}
