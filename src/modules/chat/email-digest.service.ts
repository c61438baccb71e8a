import Type from 'typebox'
import type { JobContext, JobDefinition } from '../../core/jobs/index.js'
import { defineJob } from '../../core/jobs/index.js'
import type { ChatDeps } from './api.js'
import type { NotificationRow } from './db/schema.js'
import type { DigestMail } from './email-digest.mail.js'
import { DIGEST_TEMPLATE } from './email-digest.mail.js'
import { DELIVERED_TYPES } from './notifications.repository.js'
import { quietHoursEnd } from './quiet-hours.js'

export const DigestJobPayload = Type.Object({ userId: Type.String({ format: 'uuid' }) })

/** The most notifications one e-mail lists; the rest wait for the next one. */
export const DIGEST_MAX_ITEMS = 50

export const digestJob = { name: 'chat.email-digest', payload: DigestJobPayload } as const

/**
 * E-mails what stays unread: each notification pushed to an offline user schedules their digest job
 * `emailDelaySeconds` later. The job is keyed by user under the `short` policy (at most one queued per
 * key), so the notifications of those minutes share one e-mail.
 */
export class EmailDigestService {
  constructor(
    private readonly deps: ChatDeps,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Schedules the digest of each user who got a delivered notification and takes e-mail. */
  async schedule(rows: readonly NotificationRow[], emailDigests: ReadonlyMap<string, boolean>): Promise<void> {
    const users = new Set(rows.filter((row) => (DELIVERED_TYPES as readonly string[]).includes(row.type) && emailDigests.get(row.userId) !== false).map((row) => row.userId))
    for (const userId of users) await this.sendJob(userId, this.deps.settings.emailDelaySeconds)
  }

  /**
   * The `chat.email-digest` job, run `emailDelaySeconds` after the first notification it is for: one
   * e-mail with every unread, not yet e-mailed notification of the user (those that came during the
   * delay ride along), marked e-mailed in the same transaction that queues the e-mail (so a retry
   * never sends them twice, and a failure sends nothing). Notifications whose message the user read in
   * the chat count as read; those about a message deleted since are left out. In quiet hours it waits
   * for their end; with digests off it sends nothing.
   */
  async run(userId: string, job?: Pick<JobContext, 'log'>): Promise<{ emailed: number }> {
    const now = this.clock()
    const { notifications } = this.deps.store.repos
    const preferences = await notifications.mailPreferences(userId)
    if (!preferences.emailDigests) return { emailed: 0 }
    const quietUntil = quietHoursEnd(preferences.quietHours, now)
    if (quietUntil > now) {
      await this.sendJob(userId, Math.ceil((quietUntil.getTime() - now.getTime()) / 1000))
      return { emailed: 0 }
    }
    const emailed = await this.deps.store.transaction(async (repos) => {
      const pending = await repos.notifications.pendingDigest(userId, now, DIGEST_MAX_ITEMS)
      const readInChat = await repos.notifications.readInChats(userId, pending)
      if (readInChat.length > 0) await repos.notifications.markReadByIds(readInChat, now)
      // A message deleted meanwhile is never e-mailed (marked so it is not looked at again).
      const deleted = await repos.notifications.aboutDeletedMessages(pending)
      const unread = pending.filter((row) => !readInChat.includes(row.id) && !deleted.has(row.id))
      await repos.notifications.markEmailed([...deleted, ...unread.map((row) => row.id)], now)
      if (unread.length === 0) return 0
      const { ctx } = this.deps
      const data: DigestMail = { items: unread.map((row) => ({ title: row.title, body: row.body })), url: ctx.platform.publicUrl }
      const sent = await ctx.mail.send({ to: { userId }, template: DIGEST_TEMPLATE, data: { ...data } }, { db: repos.notifications.executor() })
      // No active account (deleted, disabled): nothing went; the marks keep the job from trying again.
      if (sent === null) job?.log.info({ userId }, 'digest not sent: the account is not active')
      return unread.length
    })
    await this.scheduleRest(userId, now)
    return { emailed }
  }

  /** The next digest, for notifications too many for this one (or that came while it ran). */
  private async scheduleRest(userId: string, now: Date): Promise<void> {
    const oldest = await this.deps.store.repos.notifications.oldestPending(userId)
    if (!oldest) return
    const due = oldest.getTime() + this.deps.settings.emailDelaySeconds * 1000
    await this.sendJob(userId, Math.max(1, Math.ceil((due - now.getTime()) / 1000)))
  }

  private sendJob(userId: string, afterSeconds: number): Promise<string | null> {
    return this.deps.ctx.jobs.send(digestJob.name, { userId }, { startAfter: afterSeconds, singletonKey: userId })
  }
}

export function digestJobDefinition(digests: EmailDigestService): JobDefinition<typeof DigestJobPayload> {
  return defineJob({
    ...digestJob,
    // At most one digest per user waits at a time: later notifications join it.
    policy: 'short',
    retryLimit: 5,
    retryDelaySeconds: 30,
    timeoutSeconds: 120,
    handle: async ({ userId }, job) => {
      await digests.run(userId, job)
    },
  })
}
