import type { FastifyInstance } from 'fastify'
import type { Actor } from '../core/access/actor.js'
import { createModuleAudit } from '../core/audit/module-audit.js'
import { createPasswordCheck } from '../core/auth/password-check.js'
import { checkMailTemplates, createModuleMail } from '../core/email/module-mail.js'
import { registerErrorCodes } from '../core/errors/catalog.js'
import { createSignatures } from '../core/crypto/signatures.js'
import type { ModuleDefinition } from '../core/module.js'
import { createRateLimitFactory } from '../core/rate-limit/limiter.js'
import type { PresenceHook, Room, RoomOwner } from '../core/realtime/index.js'
import { createUserDirectory } from '../core/users/directory.js'
import { createUserDirectoryRepository } from '../core/users/directory.repository.js'
import type { ModuleUserData } from '../core/users/user-data.service.js'
import type { Platform } from './platform.js'
import type { SharedServices } from './services.js'

export interface LoadedModule {
  readonly definition: ModuleDefinition
  readonly api: unknown
}

/**
 * Step 4: declares every module's permissions and error codes, then wires each one's api and jobs.
 * Module apis exist before any route: user export and deletion call into every enabled module.
 */
export function loadModules(app: FastifyInstance, definitions: readonly ModuleDefinition[], { config, database, redis, access, jobs, keyring, identity }: Platform, services: SharedServices): LoadedModule[] {
  for (const definition of definitions) access.declare(...definition.permissions)
  const directory = createUserDirectoryRepository(database.db)
  const users = createUserDirectory(directory)
  const passwords = createPasswordCheck(identity.store.repos.users, identity.hasher)
  return definitions.map((definition) => {
    if (definition.errors) registerErrorCodes(definition.errors)
    checkMailTemplates(definition.name, definition.mailTemplates)
    const api = definition.createApi({
      settings: settingsOf(definition, config),
      platform: { env: config.env, publicUrl: config.publicUrl },
      db: database.db,
      log: app.log.child({ module: definition.name }),
      access,
      jobs,
      realtime: services.realtime,
      presence: services.presence,
      files: services.files.api,
      cache: services.cache,
      users,
      mail: createModuleMail(definition.name, definition.mailTemplates, { jobs, users: directory }),
      rateLimit: createRateLimitFactory(definition.name, redis),
      crypto: keyring,
      signatures: createSignatures(keyring, definition.name),
      passwords,
      audit: createModuleAudit(definition.name, database.db),
    })
    if (definition.jobs) jobs.define(definition.jobs(api), { owner: definition.name })
    return { definition, api }
  })
}

/** What loadConfig parsed for the module; a module with settings must have been given to loadConfig. */
function settingsOf(definition: ModuleDefinition, config: Platform['config']): unknown {
  if (!definition.settings) return undefined
  if (!(definition.name in config.moduleSettings)) {
    throw new Error(`Module "${definition.name}" declares settings, but the configuration was loaded without them: pass the module to loadConfig(env, { modules })`)
  }
  return config.moduleSettings[definition.name]
}

/** The last routes: each module's, under `/api`. */
export async function installModuleRoutes(app: FastifyInstance, modules: readonly LoadedModule[]): Promise<void> {
  for (const { definition, api } of modules) await app.register(definition.routes(api), { prefix: '/api' })
}

/** A module's say on its realtime rooms, bound to its api. */
export function roomOwnerOf({ definition, api }: LoadedModule): RoomOwner {
  return {
    name: definition.name,
    ...(definition.rooms ? { kinds: definition.rooms } : {}),
    ...(definition.authorizeRoom ? { authorizeRoom: (actor: Actor, room: Room) => definition.authorizeRoom!(actor, room, api) } : {}),
    ...(definition.acceptClientEvent
      ? { acceptClientEvent: (actor: Actor, room: Room, event: string, data: Record<string, unknown> | undefined) => definition.acceptClientEvent!(actor, room, event, data, api) }
      : {}),
  }
}

/** The modules' presence hooks, bound to their apis. */
export function presenceHooksOf(modules: readonly LoadedModule[]): PresenceHook[] {
  return modules.flatMap(({ definition, api }) =>
    definition.onPresenceChange ? [{ name: definition.name, onPresenceChange: (userId: string, online: boolean) => definition.onPresenceChange!(userId, online, api) }] : [],
  )
}

/** A module's export and deletion hooks, bound to its api. */
export function userDataOf({ definition, api }: LoadedModule): ModuleUserData {
  return {
    name: definition.name,
    ...(definition.exportUserData ? { exportUserData: (userId: string) => definition.exportUserData!(userId, api) } : {}),
    ...(definition.onUserDeleted ? { onUserDeleted: (userId: string) => definition.onUserDeleted!(userId, api) } : {}),
  }
}
