import type { FastifyBaseLogger } from 'fastify'
import type { ModuleContext } from '../../core/module.js'
import { ChatAccess } from './access.js'
import { ChatEvents } from './events.js'
import { ChatHooks } from './hooks.js'
import { ChatPermissions } from './permissions.js'
import type { ChatSettings } from './settings.js'
import { chatStore, type ChatStore } from './store.js'

/**
 * What every chat service is built from: the platform's context (only what chat uses), the module's
 * store, access rules, events and hooks. Services take the whole bag, so adding one touches only
 * its own line in `createChatApi`.
 */
export interface ChatDeps {
  readonly settings: ChatSettings
  readonly ctx: Pick<ModuleContext<ChatSettings>, 'users' | 'files' | 'jobs' | 'presence' | 'realtime' | 'cache' | 'mail' | 'rateLimit' | 'platform'>
  readonly log: FastifyBaseLogger
  readonly permissions: ChatPermissions
  readonly access: ChatAccess
  readonly store: ChatStore
  readonly events: ChatEvents
  readonly hooks: ChatHooks
}

/** What the module's routes, jobs and hooks work with: one service per area (each adds its line). */
export interface ChatApi {
  readonly deps: ChatDeps
}

export function createChatApi(ctx: ModuleContext<ChatSettings>): ChatApi {
  const store = chatStore(ctx.db)
  const permissions = new ChatPermissions(ctx.access)
  const deps: ChatDeps = {
    settings: ctx.settings,
    ctx,
    log: ctx.log,
    permissions,
    access: new ChatAccess(permissions, store.repos),
    store,
    events: new ChatEvents(ctx.realtime, ctx.log),
    hooks: new ChatHooks(ctx.log),
  }
  return {
    deps,
  }
}
