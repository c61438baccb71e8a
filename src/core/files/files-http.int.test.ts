import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { filesUnder } from '../../../test/helpers/files.js'

const MAX = 8 * 1024 * 1024
const app = useTestApp({
  env: { MAX_UPLOAD_BYTES: String(MAX) },
  setup: async (instance) => {
    await instance.listen({ port: 0, host: '127.0.0.1' })
  },
})

const base = () => `http://127.0.0.1:${(app().server.address() as AddressInfo).port}`

function post(user: TestUser, content: Buffer, filename: string): Promise<Response> {
  const form = new FormData()
  form.append('file', new Blob([content]), filename)
  return fetch(`${base()}/api/files`, { method: 'POST', headers: user.headers, body: form })
}

describe('uploads over a real connection', () => {
  it('streams a multi-megabyte upload into storage byte for byte', async () => {
    const user = await loginAs(app())
    const content = Buffer.alloc(MAX - 1, 'plain text, many times over. ')
    const response = await post(user, content, 'long.txt')
    expect(response.status).toBe(201)
    const file = (await response.json()) as { id: string; sha256: string; size: number }
    expect(file).toMatchObject({ size: MAX - 1, sha256: createHash('sha256').update(content).digest('hex') })
    const download = await fetch(`${base()}/api/files/${file.id}/content`, { headers: user.headers })
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true)
  })

  it('answers 413 to an upload far over the limit, stores nothing, and the connection stays usable', async () => {
    const user = await loginAs(app())
    const root = join(app().platform.config.dataDir, 'files')
    const before = filesUnder(root)
    const response = await post(user, Buffer.alloc(4 * MAX, 'x'), 'huge.txt')
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FILE_TOO_LARGE')
    expect(filesUnder(root)).toEqual(before)
    const next = await fetch(`${base()}/api/files/usage`, { headers: user.headers })
    expect(await next.json()).toMatchObject({ bytesUsed: 0, files: 0 })
  })

  it('answers 415 to a large executable, and the connection stays usable', async () => {
    const user = await loginAs(app())
    const elf = Buffer.alloc(MAX / 2)
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(elf)
    const response = await post(user, elf, 'game.png')
    expect(response.status).toBe(415)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FILE_TYPE_NOT_ALLOWED')
    expect((await post(user, Buffer.from('fine\n'), 'fine.txt')).status).toBe(201)
  })
})
