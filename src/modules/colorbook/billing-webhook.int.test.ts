import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { call, createProject } from '../../../test/helpers/colorbook.js'
import { deliver, STRIPE_ENV, storedStripeEvents, storedSubscription, stripeEvent, subscriptionObject, WEBHOOK_SECRET } from '../../../test/helpers/colorbook-billing.js'
import { expectError, queuedEmails, waitForMessage } from '../../../test/helpers/identity.js'

// No outgoing Stripe call is made here: the webhook works from the payload alone.
const app = useTestApp({ env: { ...STRIPE_ENV, COLORBOOK_STRIPE_API_URL: 'http://127.0.0.1:9' } })

const plan = async (user: TestUser) => (await call(app(), user, 'GET', '/api/billing/subscription')).json<{ plan: string; status: string | null; currentPeriodEnd: string | null; cancelAtPeriodEnd: boolean }>()
const applied = async (event: unknown) => {
  const response = await deliver(app(), event)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ received: boolean; applied: boolean }>().applied
}
const now = () => Math.floor(Date.now() / 1000)
const quota = async (user: TestUser) => (await call(app(), user, 'GET', '/api/files/usage')).json<{ quotaBytes: number | null }>().quotaBytes

describe('POST /api/billing/webhook', () => {
  it('checkout.session.completed upgrades the account to the plan it bought, with its Stripe ids', async () => {
    const user = await loginAs(app())
    expect((await plan(user)).plan).toBe('free')
    expect(await quota(user)).toBe(200 * 1024 * 1024)
    const event = stripeEvent('checkout.session.completed', { id: 'cs_1', object: 'checkout.session', mode: 'subscription', client_reference_id: user.id, customer: `cus_a_${user.id}`, subscription: `sub_a_${user.id}`, payment_status: 'paid', metadata: { userId: user.id, plan: 'pro' } })
    const response = await deliver(app(), event)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ received: true, applied: true })
    expect(await plan(user)).toMatchObject({ plan: 'pro', status: 'active' })
    // The free allowance (set on the first read) gives way to pro's unlimited storage.
    expect(await quota(user)).toBeNull()
    expect(await storedSubscription(app(), user.id)).toMatchObject({ planId: 'pro', stripeCustomerId: `cus_a_${user.id}`, stripeSubscriptionId: `sub_a_${user.id}`, lastEventCreated: event.created })
    expect(await storedStripeEvents(app(), event.id)).toEqual([expect.objectContaining({ type: 'checkout.session.completed', created: event.created })])
  })

  it('customer.subscription.updated sets plan (from the price), status, period end and cancel-at-period-end', async () => {
    const user = await loginAs(app())
    const periodEnd = now() + 10 * 86_400
    expect(await applied(stripeEvent('customer.subscription.updated', subscriptionObject(user.id, { price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_ENTERPRISE, status: 'trialing', periodEnd, cancelAtPeriodEnd: true })))).toBe(true)
    expect(await plan(user)).toMatchObject({ plan: 'enterprise', status: 'trialing', currentPeriodEnd: new Date(periodEnd * 1000).toISOString(), cancelAtPeriodEnd: true })
  })

  it('the same event twice applies once (one stripe_events row; the second delivery changes nothing)', async () => {
    const user = await loginAs(app())
    const admin = await loginAs(app(), 'admin')
    const event = stripeEvent('customer.subscription.created', subscriptionObject(user.id, { price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_PRO }))
    expect(await applied(event)).toBe(true)
    expect((await plan(user)).plan).toBe('pro')
    // Meanwhile an admin moves the account; a redelivery of the old event must not undo that.
    await call(app(), admin, 'PUT', `/api/admin/users/${user.id}/plan`, { plan: 'enterprise' })
    expect(await applied(event)).toBe(false)
    expect((await plan(user)).plan).toBe('enterprise')
    expect(await storedStripeEvents(app(), event.id)).toHaveLength(1)
  })

  it('two deliveries of one event at once: one applies', async () => {
    const user = await loginAs(app())
    const event = stripeEvent('customer.subscription.created', subscriptionObject(user.id))
    const answers = await Promise.all([deliver(app(), event), deliver(app(), event)])
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200])
    expect(answers.map((a) => a.json<{ applied: boolean }>().applied).sort()).toEqual([false, true])
    expect(await storedStripeEvents(app(), event.id)).toHaveLength(1)
  })

  it('an older event after a newer one changes nothing (it is recorded, the subscription keeps the newer state)', async () => {
    const user = await loginAs(app())
    const t = now()
    const sub = { id: `sub_o_${user.id}`, customer: `cus_o_${user.id}` }
    expect(await applied(stripeEvent('customer.subscription.updated', subscriptionObject(user.id, { ...sub, price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_ENTERPRISE, status: 'past_due' }), t))).toBe(true)
    const older = stripeEvent('customer.subscription.updated', subscriptionObject(user.id, { ...sub, price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_PRO, status: 'active' }), t - 60)
    expect(await applied(older)).toBe(false)
    expect(await plan(user)).toMatchObject({ plan: 'enterprise', status: 'past_due' })
    expect(await storedSubscription(app(), user.id)).toMatchObject({ lastEventCreated: t })
    expect(await storedStripeEvents(app(), older.id)).toHaveLength(1)
  })

  it('customer.subscription.deleted: back to free; content stays readable, only new writes past the limit are refused (402)', async () => {
    const user = await loginAs(app())
    const sub = { id: `sub_d_${user.id}`, customer: `cus_d_${user.id}` }
    const t = now()
    expect(await applied(stripeEvent('customer.subscription.created', subscriptionObject(user.id, sub), t - 10))).toBe(true)
    const projects = []
    for (let i = 0; i < 11; i++) projects.push(await createProject(app(), user))
    expect(await applied(stripeEvent('customer.subscription.deleted', subscriptionObject(user.id, { ...sub, status: 'canceled' }), t))).toBe(true)
    expect(await plan(user)).toMatchObject({ plan: 'free', status: 'canceled' })

    const listed = await call(app(), user, 'GET', '/api/projects')
    expect(listed.json<{ items: unknown[] }>().items).toHaveLength(11)
    expect((await call(app(), user, 'GET', `/api/projects/${projects[0]!.id}`)).statusCode).toBe(200)
    const refused = expectError(await call(app(), user, 'POST', '/api/projects', { title: 'Twelfth' }), 402, 'PLAN_LIMIT_REACHED')
    expect(refused.details).toMatchObject({ limit: 'projects', used: 11, allowed: 10, plan: 'free' })
  })

  it('the end of an old subscription does not cancel the one the account has now', async () => {
    const user = await loginAs(app())
    const t = now()
    expect(await applied(stripeEvent('customer.subscription.created', subscriptionObject(user.id, { id: `sub_new_${user.id}` }), t - 5))).toBe(true)
    expect(await applied(stripeEvent('customer.subscription.deleted', subscriptionObject(user.id, { id: `sub_old_${user.id}`, status: 'canceled' }), t))).toBe(false)
    expect(await plan(user)).toMatchObject({ plan: 'pro', status: 'active' })
  })

  it('refuses a bad, missing or stale signature and an altered body with 400 BILLING_SIGNATURE_INVALID, changing nothing', async () => {
    const user = await loginAs(app())
    const event = stripeEvent('customer.subscription.created', subscriptionObject(user.id))
    expectError(await deliver(app(), event, { secret: 'whsec_someone_else' }), 400, 'BILLING_SIGNATURE_INVALID')
    expectError(await deliver(app(), event, { signature: null }), 400, 'BILLING_SIGNATURE_INVALID')
    expectError(await deliver(app(), event, { signature: 't=1,v1=deadbeef' }), 400, 'BILLING_SIGNATURE_INVALID')
    expectError(await deliver(app(), event, { timestamp: now() - 600 }), 400, 'BILLING_SIGNATURE_INVALID')
    const altered = JSON.stringify({ ...event, data: { object: subscriptionObject(user.id, { price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_ENTERPRISE }) } })
    expectError(await deliver(app(), event, { body: altered }), 400, 'BILLING_SIGNATURE_INVALID')
    expect(await storedSubscription(app(), user.id)).toBeUndefined()
    expect(await storedStripeEvents(app(), event.id)).toEqual([])
    // The same event, signed with the right secret, then applies.
    expect(await applied(event)).toBe(true)
    expect(WEBHOOK_SECRET).toBe(STRIPE_ENV.COLORBOOK_STRIPE_WEBHOOK_SECRET)
  })

  it('415 for a body that is not JSON', async () => {
    const response = await app().inject({ method: 'POST', url: '/api/billing/webhook', headers: { 'content-type': 'text/plain', 'stripe-signature': 't=1,v1=x' }, payload: 'hello' })
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('invoice.payment_failed e-mails the account once (a redelivery sends nothing more) and leaves the plan alone', async () => {
    const user = await loginAs(app())
    const customer = `cus_f_${user.id}`
    expect(await applied(stripeEvent('customer.subscription.created', subscriptionObject(user.id, { customer })))).toBe(true)
    const invoice = stripeEvent('invoice.payment_failed', { id: 'in_1', object: 'invoice', customer, amount_due: 1200, currency: 'eur', next_payment_attempt: now() + 3 * 86_400, parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_x', metadata: {} } } })
    expect(await applied(invoice)).toBe(true)
    const message = await waitForMessage(app(), user.email, /payment failed/i)
    expect(message.text).toContain('€12.00')
    expect(message.text).toContain('https://app.example/billing')
    expect(await applied(invoice)).toBe(false)
    const paymentMails = (await queuedEmails(app(), user.email)).filter((job) => /payment failed/i.test((job.payload as { subject: string }).subject))
    expect(paymentMails).toHaveLength(1)
    expect((await plan(user)).plan).toBe('pro')
  })

  it('records and ignores events of other types and for unknown accounts', async () => {
    const other = stripeEvent('customer.created', { id: 'cus_z', object: 'customer' })
    expect(await applied(other)).toBe(false)
    expect(await storedStripeEvents(app(), other.id)).toHaveLength(1)
    expect(await applied(stripeEvent('customer.subscription.created', subscriptionObject('0190a000-0000-7000-8000-000000000000')))).toBe(false)
  })
})
