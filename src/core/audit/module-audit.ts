import type { Db } from '../db/client.js'
import { createAuditRepository, type NewAuditEntry } from './audit.repository.js'

/** One entry a module writes; its `action` is `<module>.<what>` (e.g. `colorbook.ai_key.revealed`). */
export type ModuleAuditEntry = Pick<NewAuditEntry, 'action' | 'actorId' | 'targetId' | 'ip' | 'userAgent' | 'details'>

/**
 * `ModuleContext.audit`: entries in the platform's audit log (GET /api/audit, users' exports). Never
 * put a secret, token or password in `details`.
 */
export interface ModuleAudit {
  /** Appends the entry; pass the module's transaction handle as `db` so it commits with the change it records. */
  record(entry: ModuleAuditEntry, db?: Db): Promise<void>
}

export function createModuleAudit(moduleName: string, db: Db): ModuleAudit {
  const prefix = `${moduleName}.`
  return {
    async record(entry, handle = db) {
      if (!entry.action.startsWith(prefix) || entry.action.length === prefix.length) throw new Error(`Audit action "${entry.action}" of module "${moduleName}" must start with "${prefix}"`)
      await createAuditRepository(handle).append(entry)
    },
  }
}
