import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { join } from 'node:path'
import { inject } from 'vitest'
import { compiledPath } from './compiled-sources.js'

const root = join(import.meta.dirname, '..', '..')

export interface ServerProcess {
  child: ChildProcess
  url: string
  output(): string
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Resolves with the exit code, whoever stops the process. */
  exited: Promise<number | null>
}

/**
 * How to run a source under src/ as a process: the run's compiled copy (test/global-setup.ts), the same
 * code as `node --import tsx <script>` loads, only sooner; under tsx when there is no copy.
 */
export function nodeArguments(script: string): string[] {
  const compiledRoot = inject('compiledRoot')
  return compiledRoot ? [compiledPath(compiledRoot, script)] : ['--import', 'tsx', script]
}

/**
 * The real `src/server.ts` in a child process; resolves once it listens. `group`: in a process group of
 * its own, as a terminal runs a command (a Ctrl-C goes to the whole group: `process.kill(-pid, 'SIGINT')`).
 */
export function startServer(env: Record<string, string | undefined>, timeoutMs = 30_000, options: { group?: boolean } = {}): Promise<ServerProcess> {
  const { child, output, exited } = run('src/server.ts', [], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, options.group)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output()}`)), timeoutMs)
    const onData = (): void => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())
      if (!match) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      resolve({
        child,
        url: match[1]!,
        output,
        exited,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal)
          return exited
        },
      })
    }
    child.stdout.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening:\n${output()}`))
    })
  })
}

/** Runs a script to completion: exit code and everything it printed. `input`: its standard input (else none). */
export async function runScript(script: string, args: string[], env: Record<string, string | undefined>, options: { input?: string } = {}): Promise<{ code: number | null; output: string }> {
  const { output, exited } = run(script, args, env, false, options.input)
  const code = await exited
  return { code, output: output() }
}

function run(script: string, args: string[], env: Record<string, string | undefined>, group = false, input?: string) {
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '' }
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value
  // Standard input is a pipe only when there is input (else /dev/null, as before): the pipe's type
  // depends on it, the others are always pipes.
  const child = spawn(process.execPath, [...nodeArguments(script), ...args], { cwd: root, env: childEnv, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: group }) as ChildProcessByStdio<Writable | null, Readable, Readable>
  // A child that exits without reading its input (a refused option) breaks the pipe: not the test's failure.
  child.stdin?.on('error', () => {})
  child.stdin?.end(input)
  let text = ''
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => text, exited }
}
