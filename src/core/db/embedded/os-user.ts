import { execFileSync } from 'node:child_process'
import { chmodSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** The unprivileged account PostgreSQL runs as when Plinth runs as root (PostgreSQL refuses root). */
export const POSTGRES_OS_USER = 'plinth-postgres'

export interface OsUser {
  uid: number
  gid: number
  name: string
}

/** Who runs PostgreSQL: this process's user, or, as root, the unprivileged account (created when missing). */
export function postgresOsUser(): OsUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined
  return findUser(POSTGRES_OS_USER) ?? createUser(POSTGRES_OS_USER)
}

function findUser(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    return { uid, gid, name }
  } catch {
    return undefined
  }
}

function createUser(name: string): OsUser {
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]],
    ['adduser', ['-S', '-D', '-H', '-s', '/sbin/nologin', name]],
  ]
  for (const [command, args] of attempts) {
    try {
      execFileSync(command, args, { stdio: 'ignore' })
    } catch {
      // Not this system's tool, or another process created the account at the same moment.
    }
    const user = findUser(name)
    if (user) return user
  }
  throw new Error(
    `PostgreSQL refuses to run as root, and the account "${name}" could not be created (useradd and adduser failed). ` +
      `Create it (useradd --system ${name}), run Plinth as an ordinary user, or set DATABASE_URL.`,
  )
}

/**
 * Lets `user` reach `path` by adding search permission (x, never read) for others on every folder above
 * it that `user` could not pass; a folder made by `mktemp -d` is mode 0700. Returns the folders changed.
 */
export function grantTraversal(path: string, user: OsUser): string[] {
  const changed: string[] = []
  let dir = resolve(path)
  for (;;) {
    const stat = statSync(dir)
    const passes = (stat.mode & 0o001) !== 0 || (stat.uid === user.uid && (stat.mode & 0o100) !== 0) || (stat.gid === user.gid && (stat.mode & 0o010) !== 0)
    if (!passes) {
      chmodSync(dir, (stat.mode & 0o7777) | 0o001)
      changed.push(dir)
    }
    const parent = dirname(dir)
    if (parent === dir) return changed
    dir = parent
  }
}
