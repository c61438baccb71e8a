import type { ModuleContext } from '../../core/module.js'
import { paymentFailedTemplate, PAYMENT_FAILED_TEMPLATE } from './billing.mail.js'
import { BillingService } from './billing.service.js'
import { createStripeGateway } from './billing.stripe.js'
import { BillingWebhooks } from './billing.webhook.js'
import { ColorbookPermissions } from './permissions.js'
import type { ColorbookSettings } from './settings.js'
import type { ColorbookStore } from './store.js'

/** The billing area's mail, for the manifest's `mailTemplates`. */
export const billingMailTemplates = { [PAYMENT_FAILED_TEMPLATE]: paymentFailedTemplate }

/** Plans, subscriptions, Checkout, the portal and the webhook, on one Stripe client (none without a secret key). */
export function createBilling(ctx: ModuleContext<ColorbookSettings>, store: ColorbookStore): { billing: BillingService; billingWebhooks: BillingWebhooks } {
  const { stripe: settings, billingReturnUrl } = ctx.settings
  const stripe = createStripeGateway(settings, ctx.log)
  const returnUrl = billingReturnUrl ?? ctx.platform.publicUrl
  const billing = new BillingService({ permissions: new ColorbookPermissions(ctx.access), store, files: ctx.files, users: ctx.users, stripe, prices: settings.prices, returnUrl, log: ctx.log })
  const billingWebhooks = new BillingWebhooks({ store, stripe, users: ctx.users, mail: ctx.mail, prices: settings.prices, returnUrl, log: ctx.log, planChanged: (userId) => billing.applyQuota(userId) })
  return { billing, billingWebhooks }
}
