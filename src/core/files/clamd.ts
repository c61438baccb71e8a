import { connect, type Socket } from 'node:net'

export type ScanVerdict = { readonly infected: false } | { readonly infected: true; readonly signature: string }

/** One upload's scan: bytes go to the scanner as they stream to storage. */
export interface ScanSession {
  /** Resolves once the scanner accepted the chunk (back-pressure); rejects if the scanner failed. */
  write(chunk: Buffer): Promise<void>
  /** Ends the stream and waits for the verdict. */
  finish(): Promise<ScanVerdict>
  abort(): void
}

export interface VirusScanner {
  start(): ScanSession
}

export interface ClamdOptions {
  host: string
  port: number
  /** Longest silence from clamd before the scan fails. */
  timeoutMs?: number
}

/** clamd's INSTREAM chunks are at most this long (its StreamMaxLength caps the whole stream). */
const MAX_CHUNK = 64 * 1024

/**
 * A client for clamd's INSTREAM command over TCP: `zINSTREAM\0`, then chunks each prefixed with
 * its length (4 bytes, big-endian), then a zero length; clamd answers `stream: OK` or
 * `stream: <signature> FOUND`, NUL-terminated, and closes. clamd's StreamMaxLength (25 MiB by
 * default) must be at least MAX_UPLOAD_BYTES, or larger uploads fail the scan.
 */
export class ClamdScanner implements VirusScanner {
  constructor(private readonly options: ClamdOptions) {}

  start(): ScanSession {
    return new ClamdSession(this.options)
  }
}

class ClamdSession implements ScanSession {
  private readonly socket: Socket
  private readonly reply: Promise<string>
  private failure: Error | undefined

  constructor({ host, port, timeoutMs = 30_000 }: ClamdOptions) {
    this.socket = connect({ host, port })
    this.socket.setTimeout(timeoutMs, () => this.socket.destroy(new Error(`clamd at ${host}:${port} did not answer within ${timeoutMs} ms`)))
    this.reply = new Promise<string>((resolve, reject) => {
      const received: Buffer[] = []
      this.socket.on('data', (data: Buffer) => {
        received.push(data)
        if (data.includes(0)) resolve(Buffer.concat(received).toString('utf8'))
      })
      this.socket.on('error', (error) => {
        this.failure ??= error
        reject(error)
      })
      this.socket.on('close', () => {
        const text = Buffer.concat(received).toString('utf8')
        if (text) resolve(text)
        else reject((this.failure ??= new Error('clamd closed the connection without an answer')))
      })
    })
    this.reply.catch(() => {})
    this.socket.write('zINSTREAM\0')
  }

  async write(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK) {
      const part = chunk.subarray(offset, offset + MAX_CHUNK)
      const header = Buffer.alloc(4)
      header.writeUInt32BE(part.length)
      await this.send(Buffer.concat([header, part]))
    }
  }

  async finish(): Promise<ScanVerdict> {
    await this.send(Buffer.alloc(4))
    return parseReply(await this.reply)
  }

  abort(): void {
    this.socket.destroy()
  }

  private async send(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure
    if (this.socket.destroyed || this.socket.writableEnded) throw (this.failure = new Error('clamd closed the connection early'))
    if (this.socket.write(data)) return
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        this.socket.off('drain', drained).off('close', closed).off('error', done)
        if (error) reject(error)
        else resolve()
      }
      const drained = () => done()
      const closed = () => done(this.failure ?? new Error('clamd closed the connection early'))
      this.socket.on('drain', drained).on('close', closed).on('error', done)
    })
  }
}

function parseReply(raw: string): ScanVerdict {
  const reply = raw.replace(/\0[\s\S]*$/, '').trim()
  if (/^stream: OK$/.test(reply)) return { infected: false }
  const found = /^stream: (.+) FOUND$/.exec(reply)
  if (found) return { infected: true, signature: found[1]! }
  throw new Error(`clamd answered "${reply}"`)
}
