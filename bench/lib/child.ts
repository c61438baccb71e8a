import { spawn } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')
const STOP_GRACE_MS = 5000
const STDERR_TAIL_CHARS = 8000
const STDOUT_LINES_KEPT = 30

/** The line a bench server prints on stdout once it listens. */
export type ReadyLine = { readonly ready: true; readonly port: number } & Readonly<Record<string, unknown>>

export interface ChildServer {
  readonly name: string
  readonly ready: ReadyLine
  readonly url: string
  /** SIGTERM (SIGKILL after a grace period); resolves once the process has exited. */
  stop(): Promise<void>
}

export interface ChildOptions {
  readonly name: string
  /** Path relative to the repository root, run as `node --import tsx <script>`. */
  readonly script: string
  /** Node.js options before the script, e.g. `--expose-gc`. */
  readonly nodeArgs?: readonly string[]
  readonly env: Readonly<Record<string, string | undefined>>
  readonly timeoutMs?: number
}

/**
 * Starts a server script in its own process (so it never shares the load generator's event loop)
 * and resolves once it prints its ready line. Everything it prints after that line is drained unread:
 * the server still pays for its logging, the terminal is not flooded.
 */
export function startChild(options: ChildOptions): Promise<ChildServer> {
  const env: Record<string, string> = { BENCH_PARENT_PIPE: '1' }
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value
  // stdin stays open: the server exits when it closes, so it cannot outlive a killed bench.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.script], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })

  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)))
  const early: string[] = []
  let pending = ''
  let ready: ReadyLine | undefined
  let stopping = false
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const diagnostics = (): string =>
    [early.length > 0 ? `--- last stdout lines ---\n${early.join('\n')}` : '', `--- stderr ---\n${stderr.trimEnd()}`].filter(Boolean).join('\n')

  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${options.name} did not print a ready line within ${options.timeoutMs ?? 60_000} ms\n${diagnostics()}`))
    }, options.timeoutMs ?? 60_000)

    const onData = (chunk: Buffer): void => {
      const lines = (pending + chunk.toString()).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        ready = parseReady(line)
        if (ready) return becomeReady(ready)
        early.push(line)
        if (early.length > STDOUT_LINES_KEPT) early.shift()
      }
    }
    const becomeReady = (line: ReadyLine): void => {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stdout.resume()
      resolve({ name: options.name, ready: line, url: `http://127.0.0.1:${line.port}`, stop })
    }
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return
      stopping = true
      child.stdin.end()
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
      await exited
      clearTimeout(killer)
    }

    child.stdout.on('data', onData)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const how = `exited with ${signal ?? `code ${code}`}`
      if (!ready) return reject(new Error(`${options.name} ${how} before it was ready\n${diagnostics()}`))
      if (!stopping) console.error(`\n!! ${options.name} server ${how} during the benchmark\n${diagnostics()}`)
    })
  })
}

function parseReady(line: string): ReadyLine | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value = JSON.parse(line) as Record<string, unknown>
    return value.ready === true && typeof value.port === 'number' ? (value as ReadyLine) : undefined
  } catch {
    return undefined
  }
}
