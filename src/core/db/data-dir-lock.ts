import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

export class DataDirLockedError extends Error {
  constructor(dataDir: string, holder: LockHolder) {
    super(
      `DATA_DIR ${dataDir} is in use by another Plinth server (pid ${holder.pid} on ${holder.host}, since ${holder.since}). ` +
        'One server runs per data directory (the CLI, npm run cli, works alongside it): stop that process, choose another DATA_DIR, ' +
        'or set DATABASE_URL to share a PostgreSQL server between instances.',
    )
    this.name = 'DataDirLockedError'
  }
}

interface LockHolder {
  pid: number
  host: string
  since: string
}

export interface DataDirLock {
  release(): void
}

const LOCK_FILE = 'plinth.lock'

/**
 * One Plinth server per DATA_DIR: it owns the embedded PostgreSQL server there (stops it on shutdown,
 * restarts it when it dies), which PostgreSQL's own lock cannot tell apart from the CLI using it. The
 * first server takes an exclusive lock file; a lock left by a process that no longer runs on this host
 * is taken over.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, LOCK_FILE)
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' })
      return { release: () => releaseIfMine(path) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = readHolder(path)
      if (holder && isAlive(holder)) throw new DataDirLockedError(dataDir, holder)
      rmSync(path, { force: true })
    }
  }
  throw new Error(`Could not lock DATA_DIR ${dataDir}: another process is starting on it`)
}

/** Whether another live Plinth server process holds DATA_DIR. */
export function isDataDirLocked(dataDir: string): boolean {
  const holder = readHolder(join(dataDir, LOCK_FILE))
  return holder !== undefined && holder.pid !== process.pid && isAlive(holder)
}

function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true
  if (holder.pid === process.pid) return true
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function releaseIfMine(path: string): void {
  if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true })
}
