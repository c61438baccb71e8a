import Type from 'typebox'
import { defineSettings } from '../../core/module.js'

/** The module's environment variables (README, "Module settings"), as `ctx.settings`. */
export const chatSettings = defineSettings({
  schema: Type.Object({
    CHAT_SEND_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, default: 120, description: 'an integer ≥ 0: messages per minute per account (0 disables the limit)' }),
    CHAT_EMAIL_DELAY_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 600, description: 'seconds 0–86400 a mention or private message stays unread before it is e-mailed' }),
    CHAT_IMPORT_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 1_073_741_824, default: 67_108_864, description: 'an integer 1024–1073741824: the largest chat export POST /api/chats/import accepts, in bytes (default 64 MiB)' }),
    CHAT_VAPID_PUBLIC_KEY: Type.String({ default: '', description: 'the Web Push VAPID public key (base64url; `npx web-push generate-vapid-keys`); empty: no push' }),
    CHAT_VAPID_PRIVATE_KEY: Type.String({ default: '', description: 'the Web Push VAPID private key (base64url); empty: no push' }),
    CHAT_VAPID_SUBJECT: Type.String({ default: 'mailto:admin@localhost', description: 'the VAPID subject: a mailto: or https: URL push services may contact' }),
  }),
  parse: (env) => ({
    /** Messages per minute per account, on every instance together with Redis; 0: no limit. */
    sendRateLimitPerMinute: env.CHAT_SEND_RATE_LIMIT_PER_MINUTE,
    /** How long a notification stays unread before the batched e-mail goes. */
    emailDelaySeconds: env.CHAT_EMAIL_DELAY_SECONDS,
    /** The largest export an import reads (its route's body limit): 413 beyond it. */
    importMaxBytes: env.CHAT_IMPORT_MAX_BYTES,
    /** Web Push keys; push is off unless both are set. */
    vapid: env.CHAT_VAPID_PUBLIC_KEY && env.CHAT_VAPID_PRIVATE_KEY ? { publicKey: env.CHAT_VAPID_PUBLIC_KEY, privateKey: env.CHAT_VAPID_PRIVATE_KEY, subject: env.CHAT_VAPID_SUBJECT } : null,
  }),
})

export interface ChatSettings {
  readonly sendRateLimitPerMinute: number
  readonly emailDelaySeconds: number
  readonly importMaxBytes: number
  readonly vapid: { readonly publicKey: string; readonly privateKey: string; readonly subject: string } | null
}
