import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import Stripe from 'stripe'
import { plans, stripeEvents, subscriptions } from '../../src/modules/colorbook/db/schema.js'

export const WEBHOOK_SECRET = 'whsec_test_colorbook_billing'
export const STRIPE_ENV = {
  COLORBOOK_STRIPE_SECRET_KEY: 'sk_test_colorbook_billing',
  COLORBOOK_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  COLORBOOK_STRIPE_PRICE_PRO: 'price_pro_test',
  COLORBOOK_STRIPE_PRICE_ENTERPRISE: 'price_enterprise_test',
  COLORBOOK_BILLING_RETURN_URL: 'https://app.example/billing',
}

export interface StripeCall {
  method: string
  path: string
  headers: IncomingMessage['headers']
  form: URLSearchParams
}

/**
 * A local stand-in for api.stripe.com: records each call (form-encoded, as stripe-node sends them)
 * and answers Checkout and portal sessions; `failNext` makes the next call a Stripe API error.
 */
export async function startStripeStub() {
  const calls: StripeCall[] = []
  let fail = false
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      calls.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, form })
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${calls.length}` })
        response.end(JSON.stringify(body))
      }
      if (fail) {
        fail = false
        return answer(400, { error: { type: 'invalid_request_error', message: 'No such price', code: 'resource_missing' } })
      }
      const n = calls.length
      if (request.url === '/v1/checkout/sessions') return answer(200, { id: `cs_test_${n}`, object: 'checkout.session', url: `https://checkout.stripe.test/c/pay/cs_test_${n}` })
      const cancelled = /^\/v1\/subscriptions\/([\w-]+)$/.exec(request.url ?? '')
      if (request.method === 'DELETE' && cancelled) return answer(200, { id: cancelled[1], object: 'subscription', status: 'canceled' })
      if (request.url === '/v1/billing_portal/sessions') return answer(200, { id: `bps_${n}`, object: 'billing_portal.session', url: `https://billing.stripe.test/p/session/bps_${n}` })
      return answer(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${request.url})` } })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext: () => (fail = true),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const signer = new Stripe('sk_test_signer_only')

/** POSTs an event to the webhook, signed as Stripe would (or with another secret / time). */
export function deliver(app: FastifyInstance, event: unknown, options: { secret?: string; timestamp?: number; body?: string; signature?: string | null } = {}): Promise<LightMyRequestResponse> {
  const payload = JSON.stringify(event)
  const signature = options.signature === undefined ? signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, ...(options.timestamp ? { timestamp: options.timestamp } : {}) }) : options.signature
  return app.inject({
    method: 'POST',
    url: '/api/billing/webhook',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    payload: options.body ?? payload,
  })
}

let counter = 0
const now = () => Math.floor(Date.now() / 1000)

/** An event envelope as Stripe sends it. */
export const stripeEvent = (type: string, object: Record<string, unknown>, created = now()) => ({ id: `evt_test_${Date.now()}_${++counter}`, object: 'event', api_version: Stripe.API_VERSION, created, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } })

/** A subscription object (the current API's shape: the period end on the item). */
export function subscriptionObject(userId: string | null, fields: { id?: string; customer?: string; price?: string; status?: string; periodEnd?: number; cancelAtPeriodEnd?: boolean; plan?: string } = {}) {
  return {
    id: fields.id ?? `sub_${++counter}`,
    object: 'subscription',
    customer: fields.customer ?? `cus_${counter}`,
    status: fields.status ?? 'active',
    cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
    metadata: { ...(userId ? { userId } : {}), ...(fields.plan ? { plan: fields.plan } : {}) },
    items: { object: 'list', data: [{ id: `si_${counter}`, object: 'subscription_item', current_period_end: fields.periodEnd ?? now() + 30 * 86_400, price: { id: fields.price ?? STRIPE_ENV.COLORBOOK_STRIPE_PRICE_PRO, object: 'price' } }] },
  }
}

const db = (app: FastifyInstance) => app.platform.database.db
export const storedSubscription = async (app: FastifyInstance, userId: string) => (await db(app).select().from(subscriptions).where(eq(subscriptions.userId, userId)))[0]
export const storedStripeEvents = (app: FastifyInstance, eventId: string) => db(app).select().from(stripeEvents).where(eq(stripeEvents.eventId, eventId))
export const storedPlans = (app: FastifyInstance) => db(app).select().from(plans)
/** Puts the plans back as they were (the worker's database is shared by the files it runs). */
export async function restorePlans(app: FastifyInstance, rows: (typeof plans.$inferSelect)[]): Promise<void> {
  for (const row of rows) await db(app).update(plans).set(row).where(eq(plans.id, row.id))
}
