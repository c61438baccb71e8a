import type { FastifyInstance } from 'fastify'
import { backupJobs } from '../core/backup/backup.job.js'
import { createCache, type Cache } from '../core/cache/cache.js'
import { createFiles, type Files } from '../core/files/index.js'
import { createPresence, createRealtime } from '../core/realtime/index.js'
import type { Presence } from '../core/realtime/presence.js'
import type { Realtime } from '../core/realtime/realtime.js'
import { retentionJobs } from '../core/retention/retention.js'
import type { Platform } from './platform.js'

/** What the core routes and the modules share beyond the platform: realtime, presence, files, the cache. */
export interface SharedServices {
  readonly realtime: Realtime
  readonly presence: Presence
  readonly files: Files
  readonly cache: Cache
}

/** Step 3: the shared services, and the platform's own jobs (files, retention, backups). */
export async function createSharedServices(app: FastifyInstance, { config, database, redis, access, jobs }: Platform): Promise<SharedServices> {
  const realtime = await createRealtime(config, redis, app)
  const presence = await createPresence(config, redis, app)
  const files = createFiles({ config, db: database.db, access, jobs, realtime, log: app.log.child({ component: 'files' }) })
  app.addHook('onClose', () => files.close())
  jobs.define(files.jobs, { owner: 'files' })
  jobs.define(retentionJobs(database.db, config), { owner: 'retention' })
  jobs.define(backupJobs({ url: database.url, storage: files.storage, ...config.backup }), { owner: 'backup' })
  return { realtime, presence, files, cache: createCache(redis) }
}
