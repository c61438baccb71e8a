import type { FastifyPluginAsync } from 'fastify'
import { defineModule } from '../../core/module.js'
import { createChatApi, type ChatApi } from './api.js'
import { blocksRoutes } from './blocks.routes.js'
import { chatsRoutes } from './chats.routes.js'
import { chatImportRoutes } from './chat-import.routes.js'
import { DIGEST_TEMPLATE, digestTemplate } from './email-digest.mail.js'
import { chatErrors } from './errors.js'
import { invitationsRoutes } from './invitations.routes.js'
import { messagesRoutes } from './messages.routes.js'
import { messageExtrasRoutes } from './message-extras.routes.js'
import { moderationRoutes } from './moderation.routes.js'
import { notificationsRoutes } from './notifications.routes.js'
import { notifyJobs } from './notify.js'
import { participantsRoutes } from './participants.routes.js'
import { chatPermissions } from './permissions.js'
import { peopleRoutes } from './people.routes.js'
import { pushRoutes } from './push.routes.js'
import { searchRoutes } from './search.routes.js'
import { templatesRoutes } from './templates.routes.js'
import { chatSettings, type ChatSettings } from './settings.js'
import { scheduledRoutes } from './scheduled.routes.js'
import { scheduledJobDefinition } from './scheduled.service.js'
import { bansRoutes } from './bans.routes.js'

/** Seed 003: conversations, messages, realtime, notifications and search. */
export const chatModule = defineModule<ChatApi, ChatSettings>({
  name: 'chat',
  permissions: chatPermissions,
  errors: chatErrors,
  settings: chatSettings,
  createApi: createChatApi,
  mailTemplates: { [DIGEST_TEMPLATE]: digestTemplate },
  // typing.start / typing.stop from a participant who may post: ephemeral, ended by the server after 6 s.
  acceptClientEvent: (actor, room, event, data, api) => api.typing.accept(actor, room, event, data),
  onPresenceChange: (userId, online, api) => api.people.presenceChanged(userId, online),
  exportUserData: (userId, api) => api.userData.export(userId),
  onUserDeleted: (userId, api) => api.userData.erase(userId),
  jobs: (api) => [...notifyJobs(api.notify), scheduledJobDefinition(api.scheduled)],
  // `chat:<id>`: its participants, and for a channel anyone who may see it; never a deleted chat.
  authorizeRoom: async (actor, room, api) => room.module === 'chat' && room.id !== undefined && api.chats.mayWatch(actor, room.id),
  // One plugin per route group, in this order (the OpenAPI document lists the routes so); each area adds its own.
  routes: (api) => async (app) => {
    const groups: ((api: ChatApi) => FastifyPluginAsync)[] = [chatsRoutes, chatImportRoutes, messagesRoutes, participantsRoutes, invitationsRoutes, blocksRoutes, peopleRoutes, searchRoutes, templatesRoutes, notificationsRoutes, pushRoutes, scheduledRoutes, bansRoutes, messageExtrasRoutes, moderationRoutes]
    for (const routes of groups) await app.register(routes(api))
  },
})
