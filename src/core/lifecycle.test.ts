import Fastify from 'fastify'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { installGracefulShutdown } from './lifecycle.js'

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('graceful shutdown', () => {
  it('on SIGTERM stops accepting, finishes in-flight requests, runs close hooks, exits 0', async () => {
    const app = Fastify()
    const events: string[] = []
    let release!: () => void
    const started = new Promise<void>((resolve) => {
      app.get('/slow', async () => {
        resolve()
        await new Promise<void>((done) => (release = done))
        events.push('slow request finished')
        return { done: true }
      })
    })
    app.addHook('onClose', async () => void events.push('database closed'))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo

    let exitCode: number | undefined
    const exited = new Promise<void>((resolve) => {
      installGracefulShutdown(app, { timeoutMs: 5000, signals: ['SIGUSR2'], exit: (code) => ((exitCode = code), resolve()) })
    })
    const inFlight = get(port, '/slow')
    await started
    process.emit('SIGUSR2', 'SIGUSR2')
    await new Promise((resolve) => setTimeout(resolve, 50))
    await expect(get(port, '/slow')).rejects.toThrow(/ECONNREFUSED/)
    expect(exitCode).toBeUndefined()

    release()
    expect(await inFlight).toEqual({ status: 200, body: '{"done":true}' })
    await exited
    expect(exitCode).toBe(0)
    expect(events).toEqual(['slow request finished', 'database closed'])
  })

  it('exits 1 when shutdown outlasts the timeout', async () => {
    const app = Fastify()
    app.addHook('onClose', () => new Promise<void>(() => {}))
    await app.ready()
    const code = await new Promise<number>((resolve) => {
      installGracefulShutdown(app, { timeoutMs: 100, signals: ['SIGUSR2'], exit: resolve })
      process.emit('SIGUSR2', 'SIGUSR2')
    })
    expect(code).toBe(1)
  })
})
