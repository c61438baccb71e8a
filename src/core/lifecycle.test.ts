import Fastify from 'fastify'
import { request } from 'node:http'
import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigError, loadConfig } from '../config/index.js'
import { buildTestApp } from '../../test/helpers/app.js'
import { closeTestDatabase } from '../../test/helpers/database.js'
import { CLOSE_MARGIN_MS, installGracefulShutdown, ShutdownBudget } from './lifecycle.js'

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
      installGracefulShutdown(app, { budget: new ShutdownBudget(5000), signals: ['SIGUSR2'], exit: (code) => ((exitCode = code), resolve()) })
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
      installGracefulShutdown(app, { budget: new ShutdownBudget(100), signals: ['SIGUSR2'], exit: resolve })
      process.emit('SIGUSR2', 'SIGUSR2')
    })
    expect(code).toBe(1)
  })
})

describe('the shutdown budget', () => {
  it('is one deadline: each step gets what the earlier ones left, and jobs leave the close margin', () => {
    let now = 1_000_000
    const budget = new ShutdownBudget(10_000, () => now)
    budget.start()
    now += 4000 // draining in-flight requests took 4 s
    budget.start() // a second start keeps the first deadline
    expect(budget.remainingMs()).toBe(6000)
    expect(budget.jobsStop()).toEqual({ timeoutMs: 6000 - CLOSE_MARGIN_MS })
    now += 4500 // less than a graceful stop needs is left: running jobs are failed at once, to be retried
    expect(budget.jobsStop()).toEqual({ graceful: false })
    now += 10_000
    expect(budget.remainingMs()).toBe(0)
  })

  describe('in the app', () => {
    afterEach(() => vi.useRealTimers())

    it("gives jobs what draining left of SHUTDOWN_TIMEOUT_MS, less the close margin, not a fixed share", async () => {
      let release!: () => void
      let started!: () => void
      const inRoute = new Promise<void>((resolve) => (started = resolve))
      const app = await buildTestApp({
        env: { SHUTDOWN_TIMEOUT_MS: '40000' },
        setup: (app) => {
          app.get('/test/slow', async () => {
            started()
            await new Promise<void>((done) => (release = done))
            return { done: true }
          })
        },
      })
      try {
        const stop = vi.spyOn(app.platform.jobs, 'stop')
        await app.listen({ port: 0, host: '127.0.0.1' })
        const { port } = app.server.address() as AddressInfo
        vi.useFakeTimers({ toFake: ['Date'] })
        const exited = new Promise<number>((resolve) => installGracefulShutdown(app, { budget: app.platform.shutdown, signals: ['SIGUSR2'], exit: resolve }))
        const inFlight = get(port, '/test/slow')
        await inRoute
        process.emit('SIGUSR2', 'SIGUSR2')
        vi.setSystemTime(Date.now() + 6000) // the request takes 6 s more to finish
        release()
        expect((await inFlight).status).toBe(200)
        expect(await exited).toBe(0)
        expect(stop).toHaveBeenCalledWith({ timeoutMs: 40_000 - 6000 - CLOSE_MARGIN_MS })
      } finally {
        await closeTestDatabase()
      }
    })
  })

  describe('SHUTDOWN_TIMEOUT_MS and REQUEST_TIMEOUT_MS', () => {
    const dataDir = () => mkdtempSync(join(tmpdir(), 'plinth-lifecycle-'))

    it('defaults to REQUEST_TIMEOUT_MS plus 5 s, so a request still arriving can finish and jobs and the database still stop', () => {
      expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({ requestTimeoutMs: 30_000, shutdownTimeoutMs: 35_000 })
      expect(loadConfig({ DATA_DIR: dataDir(), REQUEST_TIMEOUT_MS: '1000' }).shutdownTimeoutMs).toBe(6000)
      expect(loadConfig({ DATA_DIR: dataDir(), SHUTDOWN_TIMEOUT_MS: '32000' }).shutdownTimeoutMs).toBe(32_000)
    })

    it('refuses a SHUTDOWN_TIMEOUT_MS that leaves no room after REQUEST_TIMEOUT_MS, naming both', () => {
      let error: unknown
      try {
        loadConfig({ DATA_DIR: dataDir(), SHUTDOWN_TIMEOUT_MS: '10000' })
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^SHUTDOWN_TIMEOUT_MS=10000 is too short for REQUEST_TIMEOUT_MS=30000.*at least 32000/)])
      expect(() => loadConfig({ DATA_DIR: dataDir(), REQUEST_TIMEOUT_MS: '500', SHUTDOWN_TIMEOUT_MS: '2499' })).toThrow(/SHUTDOWN_TIMEOUT_MS=2499 is too short/)
    })
  })

  describe('STARTUP_TIMEOUT_MS', () => {
    it('defaults to 60 s and bounds each boot step (Fastify allows 10 s, short for several instances starting the job queue at once)', async () => {
      expect(loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-lifecycle-')) }).startupTimeoutMs).toBe(60_000)
      expect(() => loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-lifecycle-')), STARTUP_TIMEOUT_MS: '999' })).toThrow(/STARTUP_TIMEOUT_MS/)
      const app = await buildTestApp({ env: { STARTUP_TIMEOUT_MS: '45000' } })
      try {
        expect(app.initialConfig.pluginTimeout).toBe(45_000)
      } finally {
        await app.close()
      }
    })
  })
})
