import { readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'

/** What `postmaster.pid` says about the server on a cluster (PostgreSQL writes it while it runs). */
export interface PostmasterStatus {
  pid: number
  socketDir: string
  port: number
  /** `starting`, `ready`, `stopping` or `standby`. */
  state: string
}

export function readPostmaster(clusterDir: string): PostmasterStatus | undefined {
  let text: string
  try {
    text = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8')
  } catch {
    return undefined
  }
  const lines = text.split('\n')
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return { pid, port: Number(lines[3]), socketDir: lines[4]?.trim() ?? '', state: lines[7]?.trim() ?? 'starting' }
}

/**
 * Whether `pid` is this cluster's server: alive and, where /proc tells (Linux), working in the cluster
 * folder (a postmaster runs there), so a stale file whose pid now belongs to another process is not trusted.
 */
export function isClusterServer(pid: number, clusterDir: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (process.platform !== 'linux') return true
  try {
    return realpathSync(`/proc/${pid}/cwd`) === realpathSync(clusterDir)
  } catch (error) {
    // Another user's process we may not inspect: assume it is the server rather than remove its lock.
    return (error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
