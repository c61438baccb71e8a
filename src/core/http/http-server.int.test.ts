import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'

const app = useTestApp({
  env: { REQUEST_TIMEOUT_MS: '300' },
  setup: async (instance) => {
    instance.post('/upload', async () => ({ ok: true }))
    await instance.listen({ port: 0, host: '127.0.0.1' })
  },
})

/** Writes raw bytes and collects everything the server sends until it closes the socket. */
function rawExchange(data: string): Promise<{ text: string; ms: number }> {
  const { port } = app().server.address() as AddressInfo
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data))
    let text = ''
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
    socket.on('close', () => resolve({ text, ms: Date.now() - started }))
    socket.on('error', reject)
  })
}

describe('request timeouts and client errors', () => {
  it('a request whose body stops arriving gets 408 REQUEST_TIMEOUT in the error shape', async () => {
    const { text, ms } = await rawExchange('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":')
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout/)
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive.', details: {} } })
    expect(ms).toBeGreaterThanOrEqual(250)
  })

  it('oversized headers get 431 HEADERS_TOO_LARGE', async () => {
    const { text } = await rawExchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(text).toMatch(/^HTTP\/1\.1 431/)
    expect(text).toContain('"code":"HEADERS_TOO_LARGE"')
  })

  it('garbage instead of HTTP gets 400 BAD_REQUEST', async () => {
    const { text } = await rawExchange('HELLO THERE\r\n\r\n')
    expect(text).toMatch(/^HTTP\/1\.1 400/)
    expect(text).toContain('"code":"BAD_REQUEST"')
  })
})
