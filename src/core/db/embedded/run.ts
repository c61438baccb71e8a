import { spawn } from 'node:child_process'
import type { OsUser } from './os-user.js'

export interface RunResult {
  code: number | null
  output: string
}

/**
 * Runs one of PostgreSQL's programs as `user` (this process's own when undefined), in an environment
 * of its own, so none of the caller's settings (PGHOST, PGDATA…) leak in. Output is kept for error
 * messages (bounded).
 */
export function runProgram(program: string, args: string[], options: { user: OsUser | undefined; input?: string; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' },
      cwd: options.cwd ?? '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8192)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output: output.trim() })
    })
    child.stdin.end(options.input ?? '')
  })
}
