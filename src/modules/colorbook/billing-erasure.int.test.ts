import { afterAll, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { deliver, startStripeStub, STRIPE_ENV, storedSubscription, stripeEvent, subscriptionObject } from '../../../test/helpers/colorbook-billing.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'

const stripe = await startStripeStub()
let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({ env: { ...STRIPE_ENV, COLORBOOK_STRIPE_API_URL: stripe.url }, modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)) })
afterAll(() => stripe.close())

describe('a deleted account with a Stripe subscription', () => {
  it('has its subscription cancelled at Stripe before its data goes, once; a retry after that cancels nothing again', async () => {
    const user = await loginAs(app())
    const subscriptionId = `sub_erase_${user.id}`
    const delivered = await deliver(app(), stripeEvent('customer.subscription.created', subscriptionObject(user.id, { id: subscriptionId, customer: `cus_erase_${user.id}`, price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_PRO })))
    expect(delivered.statusCode, delivered.body).toBe(200)
    expect(await storedSubscription(app(), user.id)).toMatchObject({ planId: 'pro', status: 'active' })

    await colorbookModule.onUserDeleted!(user.id, api)

    const cancels = stripe.calls.filter((c) => c.method === 'DELETE' && c.path === `/v1/subscriptions/${subscriptionId}`)
    expect(cancels).toHaveLength(1)
    expect(await storedSubscription(app(), user.id)).toMatchObject({ status: 'canceled', stripeSubscriptionId: subscriptionId })
    // The cleanup job runs at least once: a second run finds nothing paying and calls Stripe no more.
    await colorbookModule.onUserDeleted!(user.id, api)
    expect(stripe.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
  })

  it('while Stripe fails, the erasure throws (the cleanup job retries) and nothing is erased yet', async () => {
    const user = await loginAs(app())
    const subscriptionId = `sub_fail_${user.id}`
    await deliver(app(), stripeEvent('customer.subscription.created', subscriptionObject(user.id, { id: subscriptionId, customer: `cus_fail_${user.id}`, price: STRIPE_ENV.COLORBOOK_STRIPE_PRICE_PRO })))
    stripe.failNext()
    await expect(colorbookModule.onUserDeleted!(user.id, api)).rejects.toMatchObject({ code: 'BILLING_UNAVAILABLE' })
    expect(await storedSubscription(app(), user.id)).toMatchObject({ status: 'active' })
  })
})
