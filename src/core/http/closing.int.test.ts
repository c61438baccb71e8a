import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { closeTestDatabase } from '../../../test/helpers/database.js'

/** The raw HTTP/1.1 responses on one connection, once `count` have arrived and it has ended. */
function responses(data: string): { status: number; headers: Record<string, string>; body: string }[] {
  return data
    .split(/(?=HTTP\/1\.1 )/)
    .filter(Boolean)
    .map((raw) => {
      const [head = '', body = ''] = raw.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      return { status: Number(statusLine.split(' ')[1]), headers, body }
    })
}

describe('a request that arrives while the server shuts down', () => {
  it('is answered 503 SHUTTING_DOWN in the error shape with Retry-After, while the one in flight finishes', async () => {
    let release!: () => void
    let started!: () => void
    let closing!: () => void
    let answering!: () => void
    const slowStarted = new Promise<void>((resolve) => (started = resolve))
    const closeBegan = new Promise<void>((resolve) => (closing = resolve))
    const lateAnswered = new Promise<void>((resolve) => (answering = resolve))
    const app = await buildTestApp({
      setup: (app) => {
        app.get('/test/slow', async () => {
          started()
          await new Promise<void>((resolve) => (release = resolve))
          return { done: true }
        })
        // Runs after the app's own preClose hooks: the app knows it is closing by then.
        app.addHook('preClose', async () => closing())
        app.addHook('onSend', async (request, _reply, payload) => {
          if (request.url === '/health') answering()
          return payload
        })
      },
    })
    try {
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as AddressInfo
      const socket = connect(port, '127.0.0.1')
      let data = ''
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
      const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()))
      socket.write('GET /test/slow HTTP/1.1\r\nHost: localhost\r\n\r\n')
      await slowStarted

      const closed = app.close()
      await closeBegan
      // Pipelined on the busy connection: the server is no longer accepting new ones.
      socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
      // Answered (responses leave in order, after the one in flight) before that one finishes.
      await lateAnswered
      release()
      await ended
      await closed

      const [first, second] = responses(data)
      expect(first?.status).toBe(200)
      expect(JSON.parse(first!.body)).toEqual({ done: true })
      expect(second?.status).toBe(503)
      expect(second?.headers['retry-after']).toBe('1')
      expect(second?.headers['content-type']).toMatch(/^application\/json/)
      expect(JSON.parse(second!.body)).toEqual({ error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down; retry shortly.', details: {} } })
    } finally {
      await app.close()
      await closeTestDatabase()
    }
  })
})
