import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { call } from '../../../test/helpers/colorbook.js'
import { deliver, restorePlans, startStripeStub, STRIPE_ENV, storedPlans, storedSubscription, stripeEvent } from '../../../test/helpers/colorbook-billing.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { expectError, useExtraApp } from '../../../test/helpers/identity.js'

const stripe = await startStripeStub()
const app = useTestApp({ env: { ...STRIPE_ENV, COLORBOOK_STRIPE_API_URL: stripe.url } })
const withoutStripe = useExtraApp({})

const MiB = 1024 * 1024
const FREE = { projects: 10, storageBytes: 200 * MiB, versionsPerProject: 10, collaboratorsPerProject: 0, premiumTemplates: false, exportWithoutWatermark: false, whiteLabel: false }
const PRO = { projects: null, storageBytes: null, versionsPerProject: 100, collaboratorsPerProject: 0, premiumTemplates: true, exportWithoutWatermark: true, whiteLabel: false }

let original: Awaited<ReturnType<typeof storedPlans>>
beforeAll(async () => {
  original = await storedPlans(app())
})
afterAll(async () => {
  await restorePlans(app(), original)
  await stripe.close()
})

const usage = async (user: TestUser) => (await call(app(), user, 'GET', '/api/files/usage')).json<{ quotaBytes: number | null; bytesUsed: number }>()
const subscription = async (user: TestUser, instance = app()) => {
  const response = await call(instance, user, 'GET', '/api/billing/subscription')
  expect(response.statusCode, response.body).toBe(200)
  return response.json<Record<string, unknown>>()
}

describe('GET /api/plans', () => {
  it('lists the three plans with their limits, publicly, and which ones checkout sells here', async () => {
    const response = await app().inject({ url: '/api/plans' })
    expect(response.statusCode, response.body).toBe(200)
    const { items } = response.json<{ items: { id: string; limits: unknown; checkout: boolean }[] }>()
    expect(items.map((plan) => [plan.id, plan.checkout])).toEqual([['free', false], ['pro', true], ['enterprise', true]])
    expect(items[0]!.limits).toEqual(FREE)
    expect(items[1]!.limits).toEqual(PRO)
    expect(items[2]!.limits).toMatchObject({ collaboratorsPerProject: 25, whiteLabel: true })
    // Without Stripe nothing is for sale.
    const plain = (await withoutStripe().inject({ url: '/api/plans' })).json<{ items: { checkout: boolean }[] }>()
    expect(plain.items.map((plan) => plan.checkout)).toEqual([false, false, false])
  })
})

describe('admin plan routes', () => {
  it('GET/PUT /api/admin/plans/:plan for admins; 403 for everyone else, with nothing changed', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await loginAs(app())
    expectError(await call(app(), user, 'GET', '/api/admin/plans/pro'), 403, 'FORBIDDEN')
    const body = { name: 'Pro+', limits: { ...PRO, versionsPerProject: 150 } }
    expectError(await call(app(), user, 'PUT', '/api/admin/plans/pro', body), 403, 'FORBIDDEN')
    expect((await storedPlans(app())).find((p) => p.id === 'pro')).toMatchObject({ name: 'Pro', versionsPerProject: 100 })

    const changed = await call(app(), admin, 'PUT', '/api/admin/plans/pro', body)
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({ id: 'pro', name: 'Pro+', limits: { versionsPerProject: 150 } })
    expect((await call(app(), admin, 'GET', '/api/admin/plans/pro')).json()).toMatchObject({ name: 'Pro+', limits: { versionsPerProject: 150 } })
    expect((await app().inject({ url: '/api/plans' })).json<{ items: { name: string }[] }>().items[1]!.name).toBe('Pro+')
    await restorePlans(app(), original)
  })

  it('refuses a plan that does not exist, a partial body, unknown fields and wrong types (400), changing nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    expectError(await call(app(), admin, 'GET', '/api/admin/plans/gold'), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), admin, 'PUT', '/api/admin/plans/pro', { name: 'X', limits: { projects: 5 } }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), admin, 'PUT', '/api/admin/plans/pro', { name: 'X', limits: PRO, price: 10 }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), admin, 'PUT', '/api/admin/plans/pro', { name: 'X', limits: { ...PRO, projects: '5' } }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), admin, 'PUT', '/api/admin/plans/pro', { name: 'X', limits: { ...PRO, storageBytes: -1 } }), 400, 'VALIDATION_FAILED')
    expect((await storedPlans(app())).find((p) => p.id === 'pro')).toMatchObject({ name: 'Pro', projects: null })
  })

  it('PUT /api/admin/users/:id/plan sets a plan by hand (admins only; unknown account 404)', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await loginAs(app())
    expectError(await call(app(), user, 'PUT', `/api/admin/users/${user.id}/plan`, { plan: 'enterprise' }), 403, 'FORBIDDEN')
    expect(await storedSubscription(app(), user.id)).toBeUndefined()
    expectError(await call(app(), admin, 'PUT', '/api/admin/users/0190a000-0000-7000-8000-000000000000/plan', { plan: 'pro' }), 404, 'NOT_FOUND')
    expectError(await call(app(), admin, 'PUT', `/api/admin/users/${user.id}/plan`, { plan: 'gold' }), 400, 'VALIDATION_FAILED')

    const set = await call(app(), admin, 'PUT', `/api/admin/users/${user.id}/plan`, { plan: 'enterprise' })
    expect(set.statusCode, set.body).toBe(200)
    expect(set.json()).toMatchObject({ plan: 'enterprise', status: 'active', limits: { collaboratorsPerProject: 25 } })
    expect(await subscription(user)).toMatchObject({ plan: 'enterprise', status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: null })
    // Admins set plans by hand on a server without Stripe too.
    const other = await loginAs(withoutStripe())
    const offline = await call(withoutStripe(), await loginAs(withoutStripe(), 'admin'), 'PUT', `/api/admin/users/${other.id}/plan`, { plan: 'pro' })
    expect(offline.statusCode, offline.body).toBe(200)
    expect(await subscription(other, withoutStripe())).toMatchObject({ plan: 'pro', billingEnabled: false })
  })
})

describe('GET /api/billing/subscription', () => {
  it('a new account: free, never subscribed, its limits and usage; the free storage allowance becomes its quota', async () => {
    const user = await loginAs(app())
    await call(app(), user, 'POST', '/api/projects', { title: 'One' })
    expect(await subscription(user)).toEqual({ plan: 'free', status: null, currentPeriodEnd: null, cancelAtPeriodEnd: false, limits: FREE, usage: { projects: 1, storageBytes: 0 }, billingEnabled: true })
    expect((await usage(user)).quotaBytes).toBe(200 * MiB)
    expectError(await app().inject({ url: '/api/billing/subscription' }), 401, 'UNAUTHENTICATED')
  })
})

describe('storage quota follows the plan', () => {
  it('an upload past the plan’s storage is 413 STORAGE_QUOTA_EXCEEDED; a plan edit and a plan change move the quota', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await loginAs(app())
    const enterprise = original.find((p) => p.id === 'enterprise')!
    const limits = { projects: enterprise.projects, storageBytes: 1000, versionsPerProject: enterprise.versionsPerProject, collaboratorsPerProject: enterprise.collaboratorsPerProject, premiumTemplates: true, exportWithoutWatermark: true, whiteLabel: true }
    expect((await call(app(), admin, 'PUT', '/api/admin/plans/enterprise', { name: enterprise.name, limits })).statusCode).toBe(200)
    expect((await call(app(), admin, 'PUT', `/api/admin/users/${user.id}/plan`, { plan: 'enterprise' })).statusCode).toBe(200)
    expect((await usage(user)).quotaBytes).toBe(1000)

    expect((await uploadFile(app(), user, { content: 'a'.repeat(600), filename: 'a.txt' })).statusCode).toBe(201)
    const refused = expectError(await uploadFile(app(), user, { content: 'b'.repeat(401), filename: 'b.txt' }), 413, 'STORAGE_QUOTA_EXCEEDED')
    expect(refused.details).toEqual({ quotaBytes: 1000, usedBytes: 600 })

    // The admin raises the plan's storage: everyone on it gets the new quota at once.
    expect((await call(app(), admin, 'PUT', '/api/admin/plans/enterprise', { name: enterprise.name, limits: { ...limits, storageBytes: 2000 } })).statusCode).toBe(200)
    expect((await usage(user)).quotaBytes).toBe(2000)
    expect((await uploadFile(app(), user, { content: 'b'.repeat(401), filename: 'b.txt' })).statusCode).toBe(201)

    // Pro has unlimited storage: no quota at all.
    expect((await call(app(), admin, 'PUT', `/api/admin/users/${user.id}/plan`, { plan: 'pro' })).statusCode).toBe(200)
    expect((await usage(user)).quotaBytes).toBeNull()
    await restorePlans(app(), original)
  })
})

describe('POST /api/billing/checkout', () => {
  it('creates a Stripe Checkout session for the plan’s price, with the account id, and answers its URL', async () => {
    const user = await loginAs(app())
    const before = stripe.calls.length
    const response = await call(app(), user, 'POST', '/api/billing/checkout', { plan: 'pro' }, { 'idempotency-key': 'try-1' })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ url: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_\d+$/) })
    const [sent] = stripe.calls.slice(before)
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/checkout/sessions' })
    expect(sent!.headers.authorization).toBe(`Bearer ${STRIPE_ENV.COLORBOOK_STRIPE_SECRET_KEY}`)
    expect(sent!.headers['idempotency-key']).toBe(`colorbook-checkout:${user.id}:pro:try-1`)
    expect(Object.fromEntries(sent!.form)).toMatchObject({
      mode: 'subscription',
      client_reference_id: user.id,
      'line_items[0][price]': 'price_pro_test',
      'line_items[0][quantity]': '1',
      'subscription_data[metadata][userId]': user.id,
      'subscription_data[metadata][plan]': 'pro',
      success_url: 'https://app.example/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example/billing?checkout=cancelled',
    })
    expect(sent!.form.has('customer')).toBe(false)
  })

  it('refuses free, unknown plans and unknown fields (400) without calling Stripe', async () => {
    const user = await loginAs(app())
    const before = stripe.calls.length
    expectError(await call(app(), user, 'POST', '/api/billing/checkout', { plan: 'free' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), user, 'POST', '/api/billing/checkout', { plan: 'pro', coupon: 'X' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), user, 'POST', '/api/billing/checkout', {}), 400, 'VALIDATION_FAILED')
    expect(stripe.calls.length).toBe(before)
  })

  it('409 BILLING_ALREADY_SUBSCRIBED when paying through Stripe already; reuses the Stripe customer after a cancellation', async () => {
    const user = await loginAs(app())
    const completed = stripeEvent('checkout.session.completed', { id: 'cs_x', object: 'checkout.session', mode: 'subscription', client_reference_id: user.id, customer: `cus_${user.id}`, subscription: `sub_${user.id}`, payment_status: 'paid', metadata: { userId: user.id, plan: 'pro' } })
    expect((await deliver(app(), completed)).statusCode).toBe(200)
    const before = stripe.calls.length
    expectError(await call(app(), user, 'POST', '/api/billing/checkout', { plan: 'enterprise' }), 409, 'BILLING_ALREADY_SUBSCRIBED')
    expect(stripe.calls.length).toBe(before)

    const deleted = stripeEvent('customer.subscription.deleted', { id: `sub_${user.id}`, object: 'subscription', customer: `cus_${user.id}`, status: 'canceled', cancel_at_period_end: false, metadata: { userId: user.id }, items: { data: [] } }, completed.created + 1)
    expect((await deliver(app(), deleted)).statusCode).toBe(200)
    expect((await call(app(), user, 'POST', '/api/billing/checkout', { plan: 'enterprise' })).statusCode).toBe(200)
    expect(stripe.calls.at(-1)!.form.get('customer')).toBe(`cus_${user.id}`)
    expect(stripe.calls.at(-1)!.form.get('line_items[0][price]')).toBe('price_enterprise_test')
  })

  it('a Stripe error is 503 BILLING_UNAVAILABLE', async () => {
    const user = await loginAs(app())
    stripe.failNext()
    expectError(await call(app(), user, 'POST', '/api/billing/checkout', { plan: 'pro' }), 503, 'BILLING_UNAVAILABLE')
  })
})

describe('POST /api/billing/portal', () => {
  it('409 BILLING_NO_CUSTOMER before any Stripe checkout; then a portal session for the customer', async () => {
    const user = await loginAs(app())
    expectError(await call(app(), user, 'POST', '/api/billing/portal'), 409, 'BILLING_NO_CUSTOMER')
    const customer = `cus_portal_${user.id}`
    await deliver(app(), stripeEvent('checkout.session.completed', { id: 'cs_p', object: 'checkout.session', mode: 'subscription', client_reference_id: user.id, customer, subscription: `sub_portal_${user.id}`, payment_status: 'paid', metadata: { plan: 'pro' } }))
    const response = await call(app(), user, 'POST', '/api/billing/portal')
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ url: expect.stringMatching(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_\d+$/) })
    expect(stripe.calls.at(-1)).toMatchObject({ path: '/v1/billing_portal/sessions' })
    expect(Object.fromEntries(stripe.calls.at(-1)!.form)).toEqual({ customer, return_url: 'https://app.example/billing' })
  })
})

describe('without COLORBOOK_STRIPE_SECRET_KEY', () => {
  it('checkout, portal and the webhook answer 503 BILLING_DISABLED; the subscription still reads', async () => {
    const user = await loginAs(withoutStripe())
    expectError(await call(withoutStripe(), user, 'POST', '/api/billing/checkout', { plan: 'pro' }), 503, 'BILLING_DISABLED')
    expectError(await call(withoutStripe(), user, 'POST', '/api/billing/portal'), 503, 'BILLING_DISABLED')
    const event = stripeEvent('checkout.session.completed', { id: 'cs_off', object: 'checkout.session', mode: 'subscription', client_reference_id: user.id, payment_status: 'paid', metadata: { plan: 'pro' } })
    expectError(await deliver(withoutStripe(), event), 503, 'BILLING_DISABLED')
    expect(await storedSubscription(withoutStripe(), user.id)).toBeUndefined()
    expect(await subscription(user, withoutStripe())).toMatchObject({ plan: 'free', billingEnabled: false })
  })
})
