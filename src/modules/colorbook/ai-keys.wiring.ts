import type { preHandlerAsyncHookHandler } from 'fastify'
import type { EncryptedData } from '../../core/crypto/encrypted-data.js'
import type { ModuleContext } from '../../core/module.js'
import type { ProjectAccess } from './access.js'
import { AiKeysService } from './ai-keys.service.js'

/** At most this many reveals (attempts, whatever their outcome) per user per hour (issue 13). */
export const AI_KEY_REVEALS_PER_HOUR = 10

export interface AiKeysArea {
  /** Users' own AI provider keys, sealed with the platform keyring. */
  readonly aiKeys: AiKeysService
  /** The reveal route's limit: 429 RATE_LIMITED past AI_KEY_REVEALS_PER_HOUR, counted in Redis with REDIS_URL. */
  readonly aiKeyRevealLimit: preHandlerAsyncHookHandler
}

export function createAiKeysArea(ctx: Pick<ModuleContext, 'db' | 'crypto' | 'passwords' | 'audit' | 'log' | 'rateLimit'>, access: Pick<ProjectAccess, 'permit'>): AiKeysArea {
  return {
    aiKeys: new AiKeysService(access, ctx.db, { crypto: ctx.crypto, passwords: ctx.passwords, audit: ctx.audit, log: ctx.log }),
    aiKeyRevealLimit: ctx.rateLimit({ name: 'ai-key-reveals', perHour: AI_KEY_REVEALS_PER_HOUR, message: `At most ${AI_KEY_REVEALS_PER_HOUR} key reveals an hour` }),
  }
}

/** The manifest's `encryptedData`: the boot check and `rotate-encryption-key` cover the stored AI keys. */
export const aiKeysEncryptedData: EncryptedData<AiKeysArea> = {
  keyIdsInUse: (api) => api.aiKeys.keyIdsInUse(),
  rewrap: (api, keyring, batch) => api.aiKeys.rewrap(keyring, batch),
}
