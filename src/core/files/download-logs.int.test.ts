import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { image, settledFile, uploadFile } from '../../../test/helpers/files.js'
import { captureLogs } from '../../../test/helpers/logs.js'

const logs = captureLogs()
const app = useTestApp({
  env: { LOG_LEVEL: 'info' },
  logStream: logs.stream,
  setup: async (instance) => {
    await instance.listen({ port: 0, host: '127.0.0.1' })
  },
})

type ReadCallback = (error: NodeJS.ErrnoException | null, bytesRead: number, buffer: Buffer) => void
const realRead = fs.read

/**
 * Disk reads as a busy disk answers them: each 50 ms late. With `failAfter`, reads after that many
 * answer EIO, as a failing disk does.
 */
function slowDisk(failAfter = Infinity): void {
  let reads = 0
  vi.spyOn(fs, 'read').mockImplementation((...args: unknown[]) => {
    const done = args.pop() as ReadCallback
    if (++reads > failAfter) {
      setTimeout(() => done(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' }), 0, Buffer.alloc(0)), 50)
      return
    }
    ;(realRead as (...parameters: unknown[]) => void)(...args, (error: NodeJS.ErrnoException | null, bytesRead: number, buffer: Buffer) => setTimeout(() => done(error, bytesRead, buffer), 50))
  })
}

afterEach(() => {
  vi.restoreAllMocks()
})

interface Download {
  status: number
  bytes: number
  length: number
}

/**
 * A GET over a raw connection that hangs up as soon as it has `stopAfter` body bytes (all of
 * them by default, as curl does), or when the server closes the connection.
 */
function download(path: string, user: TestUser, requestId: string, stopAfter?: number): Promise<Download> {
  const port = (app().server.address() as AddressInfo).port
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    let answer: Download | undefined
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const headEnd = received.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      const head = received.subarray(0, headEnd).toString()
      answer = { status: Number(head.split(' ')[1]), length: Number(/^content-length: (\d+)$/im.exec(head)?.[1]), bytes: received.length - headEnd - 4 }
      if (answer.bytes >= (stopAfter ?? answer.length)) socket.destroy()
    })
    socket.on('close', () => (answer ? resolve(answer) : reject(new Error('the connection closed before the headers'))))
    socket.on('error', reject)
    const headers = { host: 'plinth.test', 'x-request-id': requestId, ...user.headers }
    socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`)
  })
}

/** Every line logged for the request, once a later request's line shows that nothing more is coming. */
async function linesOf(user: TestUser, requestId: string): Promise<Record<string, unknown>[]> {
  const barrier = `barrier-${randomUUID()}`
  await app().inject({ url: '/api/files/usage', headers: { ...user.headers, 'x-request-id': barrier } })
  await logs.waitForLine((line) => line.reqId === barrier, 2000)
  return logs.lines
    .flatMap((text) => text.split('\n'))
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as Record<string, unknown>)
    .filter((line) => line.reqId === requestId)
}

async function uploaded(user: TestUser, content: Buffer, filename: string): Promise<string> {
  const response = await uploadFile(app(), user, { content, filename })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string }>().id
}

describe('the log of a download', () => {
  it('is the one request line when the client hangs up on the last byte, even from a slow disk: thumbnails and originals', async () => {
    const user = await loginAs(app())
    const id = await uploaded(user, await image('png', 640, 480), 'photo.png')
    expect(await settledFile(app(), user, id)).toMatchObject({ thumbnail: 'ready' })
    slowDisk()
    for (const variant of ['thumbnail', 'content']) {
      const requestId = `download-${randomUUID()}`
      const answer = await download(`/api/files/${id}/${variant}`, user, requestId)
      expect(answer).toMatchObject({ status: 200, bytes: answer.length })
      await logs.waitForLine((line) => line.reqId === requestId && line.msg === 'request completed', 2000)
      expect(await linesOf(user, requestId)).toEqual([
        expect.objectContaining({ level: 30, msg: 'request completed', req: expect.objectContaining({ method: 'GET', url: `/api/files/${id}/${variant}` }), res: { statusCode: 200 } }),
      ])
    }
  })

  it('is one line with the request when the client aborts mid-download', async () => {
    const user = await loginAs(app())
    const id = await uploaded(user, Buffer.alloc(1024 * 1024, 'long text. '), 'long.txt')
    slowDisk()
    const requestId = `aborted-${randomUUID()}`
    const answer = await download(`/api/files/${id}/content`, user, requestId, 1)
    expect(answer.bytes).toBeLessThan(answer.length)
    await logs.waitForLine((line) => line.reqId === requestId, 2000)
    expect(await linesOf(user, requestId)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request aborted: the connection closed before the response was sent',
        req: expect.objectContaining({ method: 'GET', url: `/api/files/${id}/content` }),
        responseTime: expect.any(Number),
      }),
    ])
  })

  it('is one error line with the request and the error when storage fails mid-read', async () => {
    const user = await loginAs(app())
    const id = await uploaded(user, Buffer.alloc(1024 * 1024, 'long text. '), 'long.txt')
    slowDisk(1)
    const requestId = `failed-${randomUUID()}`
    const answer = await download(`/api/files/${id}/content`, user, requestId)
    expect(answer).toMatchObject({ status: 200 })
    expect(answer.bytes).toBeLessThan(answer.length)
    await logs.waitForLine((line) => line.reqId === requestId, 2000)
    expect(await linesOf(user, requestId)).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'request errored',
        req: expect.objectContaining({ method: 'GET', url: `/api/files/${id}/content` }),
        err: expect.objectContaining({ code: 'EIO', syscall: 'read' }),
      }),
    ])
  })
})
