import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { BackupFileError, parseHeader, parseTrailer, type BackupHeader, type BackupTable, type BackupTrailer } from './format.js'

/** What reading a backup yields, in file order. */
export type BackupEvent =
  | { readonly kind: 'header'; readonly header: BackupHeader }
  /** COPY text data of `table`: whole rows, `rows` of them. */
  | { readonly kind: 'rows'; readonly table: BackupTable; readonly data: Buffer; readonly rows: number }
  | { readonly kind: 'table-end'; readonly table: BackupTable; readonly rows: number }
  | { readonly kind: 'end'; readonly trailer: BackupTrailer }

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])
const NEWLINE = 0x0a
/** Header and trailer are a few kilobytes; a longer first line is not a header. */
const MAX_JSON_LINE = 4 * 1024 * 1024
const CHUNK_BYTES = 256 * 1024

/**
 * Reads a backup file from start to end, streaming: a table's rows come in blocks of whole lines, never
 * the whole table. Anything that is not a complete, undamaged Plinth backup throws `BackupFileError`
 * (gzip's own checksum catches damage inside the file, the trailer's counts a file cut at a line end).
 */
export async function* readBackup(path: string): AsyncGenerator<BackupEvent> {
  await assertGzip(path)
  const gunzip = createReadStream(path, { highWaterMark: CHUNK_BYTES }).pipe(createGunzip({ chunkSize: CHUNK_BYTES }))
  const lines = new LineReader(gunzip[Symbol.asyncIterator](), path)
  try {
    const header = parseHeader(await lines.line(`${path} is not a Plinth backup (it does not start with a Plinth backup header)`), path)
    yield { kind: 'header', header }
    const counted: number[] = []
    for (const table of header.tables) {
      let rows = 0
      for await (const block of lines.rowsUntilEnd()) {
        rows += block.rows
        yield { kind: 'rows', table, data: block.data, rows: block.rows }
      }
      counted.push(rows)
      yield { kind: 'table-end', table, rows }
    }
    const trailer = parseTrailer(await lines.line(`${path} is damaged: its end is missing after the last table`), header, counted, path)
    await lines.expectEnd()
    yield { kind: 'end', trailer }
  } finally {
    gunzip.destroy()
  }
}

/** Only the header: what a refusal needs before the whole file is read. */
export async function readBackupHeader(path: string): Promise<BackupHeader> {
  const events = readBackup(path)
  try {
    const first = await events.next()
    return (first.value as Extract<BackupEvent, { kind: 'header' }>).header
  } finally {
    await events.return(undefined)
  }
}

/** Reads the whole file once without keeping it: its header and row counts, or the reason it is unusable. */
export async function verifyBackup(path: string): Promise<{ header: BackupHeader; trailer: BackupTrailer }> {
  let header: BackupHeader | undefined
  for await (const event of readBackup(path)) {
    if (event.kind === 'header') header = event.header
    if (event.kind === 'end') return { header: header!, trailer: event.trailer }
  }
  throw new BackupFileError(`${path} is damaged: its end is missing`)
}

async function assertGzip(path: string): Promise<void> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new BackupFileError(`${path} does not exist`)
    if (error.code === 'EISDIR') throw new BackupFileError(`${path} is a directory, not a backup file`)
    throw error
  })
  try {
    const start = Buffer.alloc(2)
    const { bytesRead } = await handle.read(start, 0, 2, 0)
    if (bytesRead < 2 || !start.equals(GZIP_MAGIC)) throw new BackupFileError(`${path} is not a Plinth backup (it is not gzip-compressed)`)
  } finally {
    await handle.close()
  }
}

/** Lines out of a stream of chunks, keeping at most one partial line besides the current chunk. */
class LineReader {
  private buffer: Buffer = Buffer.alloc(0)

  constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly source: string,
  ) {}

  /** The next line (without its newline) as text; `missing` is the message when there is none. */
  async line(missing: string): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf(NEWLINE)
      if (end >= 0) {
        const text = this.buffer.toString('utf8', 0, end)
        this.buffer = this.buffer.subarray(end + 1)
        return text
      }
      if (this.buffer.length > MAX_JSON_LINE) throw new BackupFileError(missing)
      if (!(await this.pull())) throw new BackupFileError(missing)
    }
  }

  /** Blocks of whole rows up to the `\.` line, which is consumed. */
  async *rowsUntilEnd(): AsyncGenerator<{ data: Buffer; rows: number }> {
    for (;;) {
      let start = 0
      let rows = 0
      for (let end = this.buffer.indexOf(NEWLINE); end >= 0; end = this.buffer.indexOf(NEWLINE, start)) {
        if (end - start === 2 && this.buffer[start] === 0x5c && this.buffer[start + 1] === 0x2e) {
          if (rows > 0) yield { data: this.buffer.subarray(0, start), rows }
          this.buffer = this.buffer.subarray(end + 1)
          return
        }
        rows++
        start = end + 1
      }
      if (rows > 0) yield { data: this.buffer.subarray(0, start), rows }
      this.buffer = this.buffer.subarray(start)
      if (!(await this.pull())) throw new BackupFileError(`${this.source} is truncated: it ends inside a table's rows`)
    }
  }

  /** Nothing may follow the trailer. */
  async expectEnd(): Promise<void> {
    while (this.buffer.length === 0 && (await this.pull()));
    if (this.buffer.length > 0) throw new BackupFileError(`${this.source} is damaged: there is data after its end`)
  }

  private async pull(): Promise<boolean> {
    let next: IteratorResult<Buffer>
    try {
      next = await this.chunks.next()
    } catch (error) {
      throw damaged(error, this.source)
    }
    if (next.done) return false
    this.buffer = this.buffer.length === 0 ? next.value : Buffer.concat([this.buffer, next.value])
    return true
  }
}

/** zlib's errors (a cut file, a flipped byte) in an operator's words. */
function damaged(error: unknown, source: string): unknown {
  const code = (error as { code?: unknown }).code
  if (code === 'Z_BUF_ERROR') return new BackupFileError(`${source} is truncated: the compressed data ends early`, { cause: error })
  if (typeof code === 'string' && code.startsWith('Z_')) return new BackupFileError(`${source} is corrupt: ${(error as Error).message}`, { cause: error })
  return error
}
