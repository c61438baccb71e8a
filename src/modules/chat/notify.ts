import type { JobDefinition } from '../../core/jobs/index.js'
import type { ChatDeps } from './api.js'
import { digestJobDefinition, EmailDigestService } from './email-digest.service.js'
import { NotificationsService } from './notifications.service.js'
import { pushJobDefinition, PushService } from './push.service.js'

/** The notify area: stored notifications, Web Push and the e-mail digest, built together (notifications hand new ones to the other two). */
export interface NotifyServices {
  readonly notifications: NotificationsService
  readonly push: PushService
  readonly digests: EmailDigestService
}

export function createNotify(deps: ChatDeps): NotifyServices {
  const push = new PushService(deps)
  const digests = new EmailDigestService(deps)
  return { notifications: new NotificationsService(deps, { push, digests }), push, digests }
}

/** The area's jobs: `chat.push` and `chat.email-digest`. */
export const notifyJobs = (notify: NotifyServices): JobDefinition[] => [pushJobDefinition(notify.push), digestJobDefinition(notify.digests)] as JobDefinition[]
