import { Writable } from 'node:stream'

/** A log destination for `useTestApp({ logStream })` that keeps every line for assertions. */
export function captureLogs(): { stream: Writable; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return { stream, lines }
}
