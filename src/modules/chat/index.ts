import type { FastifyPluginAsync } from 'fastify'
import { defineModule } from '../../core/module.js'
import { createChatApi, type ChatApi } from './api.js'
import { chatErrors } from './errors.js'
import { chatPermissions } from './permissions.js'
import { chatSettings, type ChatSettings } from './settings.js'

/** Seed 003: conversations, messages, realtime, notifications and search. */
export const chatModule = defineModule<ChatApi, ChatSettings>({
  name: 'chat',
  permissions: chatPermissions,
  errors: chatErrors,
  settings: chatSettings,
  createApi: createChatApi,
  // One plugin per route group, in this order (the OpenAPI document lists the routes so); each area adds its own.
  routes: (api) => async (app) => {
    const groups: ((api: ChatApi) => FastifyPluginAsync)[] = []
    for (const routes of groups) await app.register(routes(api))
  },
})
