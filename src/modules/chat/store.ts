import type { Db } from '../../core/db/client.js'
import { unitOfWork, type UnitOfWork } from '../../core/db/unit-of-work.js'
import { createBlocksRepository } from './blocks.repository.js'
import { createChatsRepository } from './chats.repository.js'
import { createMessagesRepository } from './messages.repository.js'
import { createParticipantsRepository } from './participants.repository.js'

/**
 * The module's repositories, together so one transaction can use them all. Each area adds its
 * repository here (one line) and keeps its SQL in its own `*.repository.ts`.
 */
export const chatRepositories = (db: Db) => ({
  chats: createChatsRepository(db),
  participants: createParticipantsRepository(db),
  messages: createMessagesRepository(db),
  blocks: createBlocksRepository(db),
})

export type ChatRepositories = ReturnType<typeof chatRepositories>
export type ChatStore = UnitOfWork<ChatRepositories>

export const chatStore = (db: Db): ChatStore => unitOfWork(db, chatRepositories)
