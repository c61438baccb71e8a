import { PassThrough } from 'node:stream'
import Type from 'typebox'
import type { StorageDriver } from '../files/storage/storage.js'
import { defineJob, type JobDefinition } from '../jobs/index.js'
import { writeBackup, type BackupSummary } from './backup.service.js'
import { backupFileName } from './format.js'

/** Scheduled backups' storage folder: beside users' files (`originals/`, `thumbnails/`), never among them. */
export const BACKUP_FOLDER = 'backups'
const BACKUP_KEY = /^backups\/plinth-[0-9a-z-]+\.backup$/

export interface ScheduledBackups {
  /** The database's connection URL (never logged). */
  readonly url: string
  readonly storage: StorageDriver
  /** BACKUP_CRON; undefined: the job exists (so an old schedule is removed) but is not scheduled. */
  readonly cron: string | undefined
  /** BACKUP_KEEP: the newest this many backups stay, older ones are deleted after each new one. */
  readonly keep: number
  readonly now?: () => Date
}

export interface ScheduledBackupResult {
  readonly key: string
  readonly summary: BackupSummary
  readonly pruned: readonly string[]
}

const BackupPayload = Type.Object({}, { additionalProperties: false })

export function backupJobs(options: ScheduledBackups): JobDefinition[] {
  return [
    defineJob({
      name: 'backup.create',
      payload: BackupPayload,
      ...(options.cron ? { schedule: { cron: options.cron, payload: {} } } : {}),
      // One at a time; a run that failed is tried once more a few minutes later, then the next schedule.
      policy: 'singleton',
      concurrency: 1,
      retryLimit: 1,
      retryDelaySeconds: 300,
      timeoutSeconds: 6 * 3600,
      handle: async (_payload, job) => {
        const { key, summary, pruned } = await runScheduledBackup(options, job.signal)
        job.log.info({ key, tables: summary.rows.length, rows: summary.totalRows, bytes: summary.bytes, pruned }, 'backup: written to storage')
      },
    }),
  ]
}

/** One backup into storage under `backups/`, then the oldest beyond `keep` deleted. */
export async function runScheduledBackup(options: ScheduledBackups, signal?: AbortSignal): Promise<ScheduledBackupResult> {
  const key = `${BACKUP_FOLDER}/${backupFileName((options.now ?? (() => new Date()))())}`
  const body = new PassThrough()
  const [stored, written] = await Promise.allSettled([options.storage.put(key, body, { contentType: 'application/gzip' }), writeBackup(options.url, body, signal ? { signal } : {})])
  if (stored.status === 'rejected' || written.status === 'rejected') {
    // put is all or nothing; this is for an object a failing backup might still have completed.
    await options.storage.delete(key).catch(() => {})
    // When the upload failed, the backup only saw its stream close early: the upload's error is the cause.
    const premature = written.status === 'rejected' && (written.reason as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE'
    throw written.status === 'rejected' && !(premature && stored.status === 'rejected') ? written.reason : (stored as PromiseRejectedResult).reason
  }
  return { key, summary: written.value, pruned: await pruneBackups(options.storage, options.keep) }
}

/** Deletes scheduled backups beyond the newest `keep` (names sort by time); returns the deleted keys. */
export async function pruneBackups(storage: StorageDriver, keep: number): Promise<string[]> {
  const keys = (await storage.list(BACKUP_FOLDER)).filter((key) => BACKUP_KEY.test(key)).sort()
  const old = keys.slice(0, Math.max(0, keys.length - keep))
  for (const key of old) await storage.delete(key)
  return old
}
