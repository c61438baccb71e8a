import type { Db } from '../../core/db/client.js'
import { unitOfWork, type UnitOfWork } from '../../core/db/unit-of-work.js'
import { createBlocksRepository } from './blocks.repository.js'
import { createChatListRepository } from './chat-list.repository.js'
import { createChatsRepository } from './chats.repository.js'
import { createInvitationsRepository } from './invitations.repository.js'
import { createMembershipRepository } from './membership.repository.js'
import { createMessageExtrasRepository } from './message-extras.repository.js'
import { createMessageListRepository } from './message-list.repository.js'
import { createMessagesRepository } from './messages.repository.js'
import { createModerationRepository } from './moderation.repository.js'
import { createNotificationsRepository } from './notifications.repository.js'
import { createParticipantsRepository } from './participants.repository.js'
import { createPushRepository } from './push.repository.js'
import { createSearchRepository } from './search.repository.js'
import { createTemplatesRepository } from './templates.repository.js'
import { createUserDataRepository } from './user-data.repository.js'
import { createUserSettingsRepository } from './user-settings.repository.js'
import { createScheduledRepository } from './scheduled.repository.js'
import { createBansRepository } from './bans.repository.js'
import { createChatBackupRepository } from './chat-backup.repository.js'

/**
 * The module's repositories, together so one transaction can use them all. Each area adds its
 * repository here (one line) and keeps its SQL in its own `*.repository.ts`.
 */
export const chatRepositories = (db: Db) => ({
  chats: createChatsRepository(db),
  participants: createParticipantsRepository(db),
  messages: createMessagesRepository(db),
  notifications: createNotificationsRepository(db),
  push: createPushRepository(db),
  messageList: createMessageListRepository(db),
  blocks: createBlocksRepository(db),
  membership: createMembershipRepository(db),
  invitations: createInvitationsRepository(db),
  userSettings: createUserSettingsRepository(db),
  search: createSearchRepository(db),
  userData: createUserDataRepository(db),
  templates: createTemplatesRepository(db),
  chatList: createChatListRepository(db),
  scheduled: createScheduledRepository(db),
  bans: createBansRepository(db),
  messageExtras: createMessageExtrasRepository(db),
  moderation: createModerationRepository(db),
  backup: createChatBackupRepository(db),
})

export type ChatRepositories = ReturnType<typeof chatRepositories>
export type ChatStore = UnitOfWork<ChatRepositories>

export const chatStore = (db: Db): ChatStore => unitOfWork(db, chatRepositories)
