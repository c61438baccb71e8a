import { request } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Target } from '../scenarios/scenario.js'
import type { Measurement } from './autocannon.js'
import { memoryMeasurement, readServerStats } from './memory.js'
import type { ProcessStats } from '../servers/realtime-control.js'

/** How often the server's RSS is read while the upload streams. */
const SAMPLE_EVERY_MS = 20
const CHUNK = 64 * 1024

/**
 * One upload of `bytes` through `POST /api/files`, streamed by the client in 64 KiB chunks (a PDF
 * header, then filler: the type is sniffed from the first bytes). The server's RSS is read after a
 * full GC before, every 20 ms while the upload runs (no GC: the highest reading is the peak), and
 * after a full GC once the file is stored. A server that buffered the upload would show its size in
 * the peak.
 */
export async function measureUploadMemory(target: Target, bytes: number): Promise<Measurement> {
  const token = target.ready.accessToken
  if (typeof token !== 'string') throw new Error(`the ready line has no accessToken: ${JSON.stringify(target.ready)}`)
  const headers = { authorization: `Bearer ${token}` }
  const statsUrl = new URL('/api/bench/stats', target.url)
  const before = await readServerStats(statsUrl, headers, true, true)
  let peak = before
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const stats = await readServerStats(statsUrl, headers, false)
      if (stats.rssBytes > peak.rssBytes) peak = stats
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS))
    }
  })()
  const started = performance.now()
  let stored: { size?: number }
  try {
    stored = await upload(new URL('/api/files', target.url), headers, bytes)
  } finally {
    sampling = false
    await sampler
  }
  const seconds = (performance.now() - started) / 1000
  if (stored.size !== bytes) throw new Error(`the server stored ${String(stored.size)} bytes, expected ${bytes}`)
  const after = await readServerStats(statsUrl, headers, true)
  const phases: [string, ProcessStats][] = [
    ['before', before],
    ['peak during the upload', peak],
    ['after (GC)', after],
  ]
  const measurement = memoryMeasurement('upload', 1, phases)
  return { ...measurement, latencyP50Ms: seconds * 1000, latencyP99Ms: seconds * 1000, upload: { bytes, seconds, mibPerSecond: bytes / 1024 / 1024 / seconds } }
}

function upload(url: URL, headers: Record<string, string>, bytes: number): Promise<{ size?: number }> {
  const boundary = `bench${Date.now()}`
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="large.pdf"\r\nContent-Type: application/pdf\r\n\r\n`)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + bytes + tail.length } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if (res.statusCode !== 201) reject(new Error(`POST /api/files answered ${res.statusCode}: ${text.slice(0, 500)}`))
        else resolve(JSON.parse(text) as { size?: number })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    pipeline(Readable.from(body(head, bytes, tail)), req).catch(reject)
  })
}

function* body(head: Buffer, bytes: number, tail: Buffer): Generator<Buffer> {
  yield head
  const filler = Buffer.alloc(CHUNK, 0x20)
  filler.write('%PDF-1.7\n')
  yield filler.subarray(0, Math.min(CHUNK, bytes))
  const rest = Buffer.alloc(CHUNK, 0x20)
  for (let sent = CHUNK; sent < bytes; sent += CHUNK) yield rest.subarray(0, Math.min(CHUNK, bytes - sent))
  yield tail
}
