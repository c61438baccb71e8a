import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'

const Base64Url = (description: string, maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$', description })

export const SubscribeBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: 2048, description: 'The push service URL the browser gave (https; loopback http is accepted outside production)' }),
    keys: Type.Object(
      {
        p256dh: Base64Url('The browser\'s P-256 public key (65 bytes, base64url)', 128),
        auth: Base64Url('The browser\'s 16-byte auth secret (base64url)', 64),
      },
      { additionalProperties: false },
    ),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'As `PushSubscription.toJSON()` has it; accepted and ignored' })),
  },
  { additionalProperties: false, description: 'A browser\'s `PushSubscription.toJSON()`' },
)

export const UnsubscribeBody = Type.Object({ endpoint: Type.String({ minLength: 1, maxLength: 2048 }) }, { additionalProperties: false })

export const PushSubscriptionView = Type.Object({ id: Uuid, endpoint: Type.String({ maxLength: 2048 }), createdAt: Timestamp }, { title: 'ChatPushSubscription', description: 'The stored subscription of this browser' })

export const VapidPublicKey = Type.Object(
  { publicKey: Type.String({ maxLength: 128, description: 'The VAPID public key (base64url): `applicationServerKey` for `pushManager.subscribe`' }) },
  { title: 'ChatVapidPublicKey', description: 'The server\'s VAPID public key' },
)
