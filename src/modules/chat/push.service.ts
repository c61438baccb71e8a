import Type from 'typebox'
import webpush from 'web-push'
import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import type { JobContext, JobDefinition } from '../../core/jobs/index.js'
import { defineJob } from '../../core/jobs/index.js'
import type { ChatDeps } from './api.js'
import type { NotificationRow } from './db/schema.js'
import { toNotificationView } from './notification.view.js'
import { DELIVERED_TYPES, type RecipientPreferences } from './notifications.repository.js'
import { pushEndpointProblem } from './push-endpoint.js'
import type { PushSubscriptionRow } from './push.repository.js'
import { quietMinutesLeft } from './quiet-hours.js'

/** One notification to one browser: retried on its own, so a flaky endpoint never repeats another's push. */
export const PushJobPayload = Type.Object({ notificationId: Type.String({ format: 'uuid' }), subscriptionId: Type.String({ format: 'uuid' }) })

/** How long a push service keeps a push for a browser that is offline: a day-old chat alert is noise. */
const PUSH_TTL_SECONDS = 24 * 3600
const PUSH_TIMEOUT_MS = 10_000

export interface PushSubscriptionInput {
  readonly endpoint: string
  readonly keys: { readonly p256dh: string; readonly auth: string }
}

export interface PushSubscriptionView {
  readonly id: string
  readonly endpoint: string
  readonly createdAt: string
}

const toView = (row: PushSubscriptionRow): PushSubscriptionView => ({ id: row.id, endpoint: row.endpoint, createdAt: row.createdAt.toISOString() })

/** Web Push (VAPID): browsers' subscriptions, and pushing notifications to users with no open socket. */
export class PushService {
  constructor(
    private readonly deps: ChatDeps,
    /** The HTTP client that posts to push services (tests may pass their own). */
    private readonly post: typeof fetch = fetch,
  ) {}

  /** The key a browser subscribes with (`applicationServerKey`). */
  publicKey(actor: Actor): { publicKey: string } {
    this.deps.access.requireUse(actor)
    return { publicKey: this.vapid().publicKey }
  }

  async subscribe(actor: Actor, input: PushSubscriptionInput): Promise<{ subscription: PushSubscriptionView; created: boolean }> {
    this.deps.access.requireUse(actor)
    this.vapid()
    const { ctx } = this.deps
    const problem = pushEndpointProblem(input.endpoint, { allowLoopbackHttp: ctx.platform.env !== 'production' })
    if (problem) throw new AppError('VALIDATION_FAILED', `The request is invalid: body/endpoint ${problem}.`, { '/endpoint': problem })
    const keyProblems = keysProblems(input.keys)
    if (keyProblems) throw new AppError('VALIDATION_FAILED', 'The request is invalid: the subscription keys are malformed.', keyProblems)
    const { row, created } = await this.deps.store.repos.push.upsert({ userId: actor.id, endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth })
    return { subscription: toView(row), created }
  }

  /** Works without VAPID keys too: a browser must always be able to say it unsubscribed. */
  async unsubscribe(actor: Actor, endpoint: string): Promise<void> {
    this.deps.access.requireUse(actor)
    if (!(await this.deps.store.repos.push.removeForUser(actor.id, endpoint))) throw new AppError('PUSH_SUBSCRIPTION_NOT_FOUND')
  }

  /**
   * Queues a push of each of these notifications (of users with no socket open: the caller checked)
   * to every browser of its user, unless the user is in their quiet hours or push is off.
   */
  async queue(rows: readonly NotificationRow[], preferences: ReadonlyMap<string, RecipientPreferences>, now: Date): Promise<void> {
    if (!this.deps.settings.vapid) return
    const wanted = rows.filter((row) => (DELIVERED_TYPES as readonly string[]).includes(row.type) && quietMinutesLeft(preferences.get(row.userId)?.quietHours ?? null, now) === 0)
    if (wanted.length === 0) return
    const subscriptions = await this.deps.store.repos.push.listFor([...new Set(wanted.map((row) => row.userId))])
    for (const row of wanted) {
      for (const subscription of subscriptions) {
        if (subscription.userId !== row.userId) continue
        await this.deps.ctx.jobs.send(pushJob.name, { notificationId: row.id, subscriptionId: subscription.id })
      }
    }
  }

  /** The `chat.push` job: one notification to one subscription, if both still stand. */
  async deliver(payload: { notificationId: string; subscriptionId: string }, job: Pick<JobContext, 'signal' | 'log'>): Promise<void> {
    const vapid = this.deps.settings.vapid
    const { notifications, push } = this.deps.store.repos
    const notification = await notifications.findById(payload.notificationId)
    const subscription = await push.findById(payload.subscriptionId)
    // Read meanwhile, unsubscribed, or the browser now belongs to someone else: nothing to push.
    if (!vapid || !notification || notification.readAt || !subscription || subscription.userId !== notification.userId) return
    // A message deleted meanwhile is not pushed.
    if ((await notifications.aboutDeletedMessages([notification])).size > 0) return
    const request = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } }, JSON.stringify(toNotificationView(notification)), {
      vapidDetails: vapid,
      TTL: PUSH_TTL_SECONDS,
      urgency: 'high',
      // A retry replaces a push still waiting at the push service instead of adding a second one.
      topic: notification.id.replaceAll('-', ''),
    })
    const response = await this.post(request.endpoint, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.any([job.signal, AbortSignal.timeout(PUSH_TIMEOUT_MS)]),
    })
    await response.body?.cancel()
    if (response.ok) return
    if (response.status === 404 || response.status === 410) {
      await push.remove(subscription.id)
      return
    }
    // 429 and 5xx are the push service's trouble: try again later. Other refusals will not change.
    if (response.status === 429 || response.status >= 500) throw new Error(`push service answered ${response.status}`)
    job.log.warn({ status: response.status, subscriptionId: subscription.id }, 'push refused by the push service')
  }

  private vapid(): NonNullable<ChatDeps['settings']['vapid']> {
    const vapid = this.deps.settings.vapid
    if (!vapid) throw new AppError('PUSH_NOT_CONFIGURED')
    return vapid
  }
}

/** p256dh: an uncompressed P-256 point (65 bytes, 0x04 first); auth: the 16-byte secret; both base64url. */
function keysProblems(keys: PushSubscriptionInput['keys']): Record<string, string> | undefined {
  const problems: Record<string, string> = {}
  const p256dh = Buffer.from(keys.p256dh, 'base64url')
  if (p256dh.length !== 65 || p256dh[0] !== 4) problems['/keys/p256dh'] = 'must be an uncompressed P-256 public key (65 bytes, base64url)'
  if (Buffer.from(keys.auth, 'base64url').length !== 16) problems['/keys/auth'] = 'must be a 16-byte secret (base64url)'
  return Object.keys(problems).length > 0 ? problems : undefined
}

export const pushJob = { name: 'chat.push', payload: PushJobPayload } as const

export function pushJobDefinition(push: PushService): JobDefinition<typeof PushJobPayload> {
  return defineJob({
    ...pushJob,
    retryLimit: 4,
    retryDelaySeconds: 5,
    timeoutSeconds: 60,
    handle: (payload, job) => push.deliver(payload, job),
  })
}
