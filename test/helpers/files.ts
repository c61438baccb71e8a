import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import sharp from 'sharp'
import type { TestUser } from './auth.js'
import { defineModule, type ModuleDefinition } from '../../src/core/module.js'
import type { FilesApi } from '../../src/core/files/index.js'

export interface FilePart {
  content: Buffer | string
  filename: string
  /** The client's claimed type; the server ignores it. */
  type?: string
  field?: string
}

/** A multipart/form-data body as a browser's FormData would send it. */
export async function multipartBody(...parts: (FilePart | { field: string; value: string })[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData()
  for (const part of parts) {
    if ('value' in part) form.append(part.field, part.value)
    else form.append(part.field ?? 'file', new Blob([part.content], { type: part.type ?? 'application/octet-stream' }), part.filename)
  }
  const response = new Response(form)
  return { payload: Buffer.from(await response.arrayBuffer()), headers: { 'content-type': response.headers.get('content-type')! } }
}

/** POSTs one file part to `url`: `/api/files`, or `/api/files/upload`, seed 003's path for the same route. */
export async function uploadFile(app: FastifyInstance, user: TestUser | undefined, part: FilePart, url = '/api/files'): Promise<LightMyRequestResponse> {
  const { payload, headers } = await multipartBody(part)
  return app.inject({ method: 'POST', url, headers: { ...headers, ...(user?.headers ?? {}) }, payload })
}

export interface UploadedFile {
  id: string
  ownerId: string
  name: string
  contentType: string
  size: number
  sha256: string
  thumbnail: 'pending' | 'ready' | 'failed' | null
  createdAt: string
}

/** Test images, made by sharp: a gradient so the encoders have something to encode. */
export async function image(format: 'png' | 'webp' | 'jpeg' | 'gif' | 'avif', width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3)
  for (let i = 0; i < pixels.length; i += 3) {
    const p = i / 3
    pixels[i] = (p % width) % 256
    pixels[i + 1] = Math.floor(p / width) % 256
    pixels[i + 2] = 128
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer()
}

/** An x86-64 ELF executable header: what `file` calls "ELF 64-bit LSB executable". */
export function elfExecutable(size = 4096): Buffer {
  const bytes = Buffer.alloc(size)
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]).copy(bytes)
  bytes.writeUInt16LE(2, 16) // ET_EXEC
  bytes.writeUInt16LE(0x3e, 18) // x86-64
  return bytes
}

/** A Windows PE executable: MZ header pointing at a PE signature. */
export function peExecutable(size = 4096): Buffer {
  const bytes = Buffer.alloc(size)
  bytes.write('MZ', 0, 'latin1')
  bytes.writeUInt32LE(0x80, 0x3c)
  bytes.write('PE\0\0', 0x80, 'latin1')
  return bytes
}

/** Every file under `root`, relative paths; empty when the directory does not exist. */
export function filesUnder(root: string): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else found.push(relative(root, path))
    }
  }
  walk(root)
  return found.sort()
}

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

/** The file's metadata once its thumbnail job has run (`thumbnail` no longer `pending`). */
export async function settledFile(app: FastifyInstance, user: TestUser, id: string, timeoutMs = 10_000): Promise<UploadedFile> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await app.inject({ url: `/api/files/${id}`, headers: user.headers })
    if (response.statusCode !== 200) throw new Error(`GET /api/files/${id} answered ${response.statusCode}: ${response.body}`)
    const file = response.json<UploadedFile>()
    if (file.thumbnail !== 'pending') return file
    if (Date.now() > deadline) throw new Error(`the thumbnail of ${id} was still pending after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A module that only keeps its context's `files`, for tests of what modules may do with files. */
export function filesProbe(): { module: ModuleDefinition; files: () => FilesApi } {
  let files: FilesApi | undefined
  const module = defineModule({
    name: 'probe',
    permissions: [],
    createApi: (ctx) => {
      files = ctx.files
      return {}
    },
    routes: () => async () => {},
  })
  return {
    module,
    files: () => {
      if (!files) throw new Error('The probe module is not created yet')
      return files
    },
  }
}
