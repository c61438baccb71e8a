import { Writable } from 'node:stream'

export interface CapturedLogs {
  stream: Writable
  lines: string[]
  /** The first line (already written or still to come) that `match` accepts, parsed; rejects after `timeoutMs`. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
}

/** A log destination for `useTestApp({ logStream })` that keeps every line for assertions. */
export function captureLogs(): CapturedLogs {
  const lines: string[] = []
  const waiters = new Set<(line: Record<string, unknown>) => void>()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString()
      lines.push(text)
      for (const line of parsed(text)) for (const waiter of waiters) waiter(line)
      done()
    },
  })
  const waitForLine = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    const written = lines.flatMap(parsed).find(match)
    if (written) return Promise.resolve(written)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter)
        reject(new Error(`no matching log line within ${timeoutMs} ms`))
      }, timeoutMs)
      const waiter = (line: Record<string, unknown>): void => {
        if (!match(line)) return
        clearTimeout(timer)
        waiters.delete(waiter)
        resolve(line)
      }
      waiters.add(waiter)
    })
  }
  return { stream, lines, waitForLine }
}

function parsed(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}
