import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

const WAIT_MS = 120_000

/**
 * Runs `work` while no other process on this DATA_DIR creates, starts or stops its database server
 * (a server and the CLI starting together). A lock whose process is gone is taken over.
 */
export async function withStartupLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const dir = join(dataDir, '.postgres-start.lock')
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    try {
      mkdirSync(dir)
      writeFileSync(join(dir, 'pid'), String(process.pid))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (!holderAlive(dir)) rmSync(dir, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`Another process has been starting the database in ${dataDir} for ${WAIT_MS / 1000} s (lock ${dir})`)
      else await delay(50)
    }
  }
  try {
    return await work()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function holderAlive(dir: string): boolean {
  let pid: number
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'))
  } catch {
    // Made an instant ago (the pid follows), or left by a process killed in between.
    try {
      return Date.now() - statSync(dir).mtimeMs < 5000
    } catch {
      return false
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
