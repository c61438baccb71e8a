import Type from 'typebox'
import { defineSettings } from '../../core/module.js'

/**
 * The module's environment variables (README, "Module settings"), as `ctx.settings`. Module
 * settings must be named after the module, so issue 13's STRIPE_* variables are COLORBOOK_STRIPE_*.
 */
export const colorbookSettings = defineSettings({
  schema: Type.Object({
    COLORBOOK_STRIPE_SECRET_KEY: Type.String({ default: '', description: 'a Stripe secret key (sk_live_… / sk_test_… or a restricted rk_…); empty: billing answers 503 BILLING_DISABLED' }),
    COLORBOOK_STRIPE_WEBHOOK_SECRET: Type.String({ default: '', description: 'the signing secret (whsec_…) of the Stripe webhook endpoint pointed at /api/billing/webhook' }),
    COLORBOOK_STRIPE_PRICE_PRO: Type.String({ default: '', description: 'the Stripe price id (price_…) of the pro plan; empty: no checkout for pro' }),
    COLORBOOK_STRIPE_PRICE_ENTERPRISE: Type.String({ default: '', description: 'the Stripe price id (price_…) of the enterprise plan; empty: no checkout for enterprise' }),
    COLORBOOK_STRIPE_API_URL: Type.String({ default: '', pattern: '^(https?://[^/?#]+/?)?$', description: 'an http(s) origin such as http://localhost:12111 for Stripe API calls (stripe-mock, tests); empty: api.stripe.com' }),
    COLORBOOK_BILLING_RETURN_URL: Type.String({ default: '', pattern: '^(https?://\\S+)?$', description: 'an http(s) URL of the app’s billing page, where Checkout and the customer portal send the user back; empty: PUBLIC_URL' }),
    COLORBOOK_TEMPLATE_MAX_BYTES: Type.Integer({
      minimum: 1024,
      maximum: 268_435_456,
      default: 10_485_760,
      description: 'an integer 1024–268435456: the largest template snapshot (a published project as JSON) POST /api/projects/:id/publish stores, in bytes (default 10 MiB)',
    }),
  }),
  parse: (env) => ({
    stripe: {
      /** Null: billing is off (checkout, portal and webhook answer 503 BILLING_DISABLED). */
      secretKey: env.COLORBOOK_STRIPE_SECRET_KEY || null,
      webhookSecret: env.COLORBOOK_STRIPE_WEBHOOK_SECRET || null,
      prices: { pro: env.COLORBOOK_STRIPE_PRICE_PRO || null, enterprise: env.COLORBOOK_STRIPE_PRICE_ENTERPRISE || null },
      apiUrl: env.COLORBOOK_STRIPE_API_URL ? new URL(env.COLORBOOK_STRIPE_API_URL) : null,
    },
    billingReturnUrl: env.COLORBOOK_BILLING_RETURN_URL || null,
    templateMaxBytes: env.COLORBOOK_TEMPLATE_MAX_BYTES,
  }),
})

export interface ColorbookSettings {
  readonly stripe: {
    readonly secretKey: string | null
    readonly webhookSecret: string | null
    readonly prices: { readonly pro: string | null; readonly enterprise: string | null }
    readonly apiUrl: URL | null
  }
  readonly billingReturnUrl: string | null
  /** The largest template snapshot, as JSON bytes (413 COLORBOOK_TEMPLATE_TOO_LARGE beyond). */
  readonly templateMaxBytes: number
}
