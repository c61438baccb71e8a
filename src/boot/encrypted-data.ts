import { sealedSessionsData } from '../core/auth/sealed-sessions.js'
import type { EncryptedDataSource } from '../core/crypto/encrypted-data.js'
import type { LoadedModule } from './modules.js'
import type { Platform } from './platform.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** What the keyring encrypted, by owner: checked at boot, moved by `rotate-encryption-key`. */
    encryptedData: readonly EncryptedDataSource[]
  }
}

/** Everything encrypted with the keyring: the core's sealed values, then each module's `encryptedData`. */
export function encryptedDataSources({ database, keyring }: Platform, modules: readonly LoadedModule[]): EncryptedDataSource[] {
  return [
    sealedSessionsData(database.db, keyring.v1KeyId),
    ...modules.flatMap(({ definition, api }): EncryptedDataSource[] => {
      const data = definition.encryptedData
      if (!data) return []
      return [{ name: definition.name, keyIdsInUse: () => data.keyIdsInUse(api), rewrap: (keyring, batch) => data.rewrap(api, keyring, batch) }]
    }),
  ]
}
