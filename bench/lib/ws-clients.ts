import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { ClientCommand, ClientReply, CollectResult, EventMarkers, OpenResult, SubscribeResult } from './ws-client-process.js'

const script = join(import.meta.dirname, 'ws-client-process.ts')
const CONNECT_CONCURRENCY = 100

/**
 * The realtime scenarios' WebSocket clients: `processes` child processes (ws-client-process.ts), each
 * holding a share of the sockets, so the load generator shares neither the server's event loop nor
 * the bench's. Started once per bench run and reused (their JIT stays warm across scenarios);
 * `stopWsClients()` ends them.
 */
export class WsClients {
  private constructor(private readonly children: readonly ClientChild[]) {}

  static async start(processes: number): Promise<WsClients> {
    return new WsClients(await Promise.all(Array.from({ length: processes }, () => ClientChild.start())))
  }

  get processes(): number {
    return this.children.length
  }

  /** Connects `count` sockets, split evenly over the processes, each waiting for `ready`. */
  async open(url: string, headers: Readonly<Record<string, string>>, count: number): Promise<OpenResult> {
    const shares = this.children.map((_, i) => Math.floor(count / this.children.length) + (i < count % this.children.length ? 1 : 0))
    const results = await Promise.all(
      this.children.map((child, i) => child.ask<OpenResult>({ type: 'open', url, headers, count: shares[i]!, concurrency: Math.ceil(CONNECT_CONCURRENCY / this.children.length) })),
    )
    return {
      open: sum(results.map((r) => r.open)),
      failed: sum(results.map((r) => r.failed)),
      failures: results.flatMap((r) => r.failures).slice(0, 5),
      openFilesLimit: results[0]?.openFilesLimit ?? null,
    }
  }

  async subscribe(room: string): Promise<SubscribeResult> {
    const results = await Promise.all(this.children.map((child) => child.ask<SubscribeResult>({ type: 'subscribe', room })))
    return {
      subscribed: sum(results.map((r) => r.subscribed)),
      failed: sum(results.map((r) => r.failed)),
      failures: results.flatMap((r) => r.failures).slice(0, 5),
      minHead: Math.min(...results.map((r) => r.minHead)),
      maxHead: Math.max(...results.map((r) => r.maxHead)),
    }
  }

  /** `markers`: where the events carry their index and send time, when not in the bench module's `data` (see EventMarkers). */
  async arm(events: number, markers?: EventMarkers): Promise<void> {
    await Promise.all(this.children.map((child) => child.ask({ type: 'arm', events, ...(markers ? { markers } : {}) })))
  }

  /** Every process's deliveries, latencies merged; CPU time summed (in ms of one core). */
  async collect(timeoutMs: number): Promise<CollectResult> {
    const results = await Promise.all(this.children.map((child) => child.ask<CollectResult>({ type: 'collect', timeoutMs })))
    const latencies = new Float64Array(sum(results.map((r) => r.latenciesMs.length)))
    let offset = 0
    for (const r of results) {
      latencies.set(r.latenciesMs, offset)
      offset += r.latenciesMs.length
    }
    const received = results.filter((r) => r.deliveries > 0)
    return {
      sockets: sum(results.map((r) => r.sockets)),
      events: results[0]?.events ?? 0,
      deliveries: sum(results.map((r) => r.deliveries)),
      lost: sum(results.map((r) => r.lost)),
      duplicated: sum(results.map((r) => r.duplicated)),
      outOfOrder: sum(results.map((r) => r.outOfOrder)),
      unexpected: sum(results.map((r) => r.unexpected)),
      closed: sum(results.map((r) => r.closed)),
      failures: results.flatMap((r) => r.failures).slice(0, 5),
      latenciesMs: latencies,
      messageBytes: received[0]?.messageBytes ?? 0,
      firstReceivedAt: received.length > 0 ? Math.min(...received.map((r) => r.firstReceivedAt)) : 0,
      lastReceivedAt: received.length > 0 ? Math.max(...received.map((r) => r.lastReceivedAt)) : 0,
      cpuMs: sum(results.map((r) => r.cpuMs)),
      wallMs: Math.max(...results.map((r) => r.wallMs)),
      timedOut: results.some((r) => r.timedOut),
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => child.ask({ type: 'close' })))
  }

  stop(): Promise<void> {
    return Promise.all(this.children.map((child) => child.stop())).then(() => undefined)
  }
}

let shared: { processes: number; clients: Promise<WsClients> } | undefined

/** The run's client processes, started on first use (again if `processes` changed). */
export async function wsClients(processes: number): Promise<WsClients> {
  if (shared && shared.processes !== processes) await stopWsClients()
  shared ??= { processes, clients: WsClients.start(processes) }
  return shared.clients
}

/** Ends the client processes, if any; run.ts calls it on every exit path. */
export async function stopWsClients(): Promise<void> {
  const current = shared
  shared = undefined
  if (current) await current.clients.then((clients) => clients.stop(), () => undefined)
}

/** One client process and its command channel: one command at a time, one reply each. */
class ClientChild {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined
  private exited = false

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ClientReply) => {
      const pending = this.pending
      this.pending = undefined
      if (!pending) return
      if (reply.ok) pending.resolve(reply.result)
      else pending.reject(new Error(`WebSocket client process: ${reply.error}`))
    })
    child.once('exit', (code, signal) => {
      this.exited = true
      this.pending?.reject(new Error(`the WebSocket client process exited with ${signal ?? `code ${code}`}`))
      this.pending = undefined
    })
  }

  static start(): Promise<ClientChild> {
    // Typed arrays (latencies) cross the IPC channel as structured clones, not as JSON.
    const child = fork(script, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(new ClientChild(child)))
      child.once('error', reject)
    })
  }

  ask<T = unknown>(command: ClientCommand): Promise<T> {
    if (this.exited) return Promise.reject(new Error('the WebSocket client process has exited'))
    if (this.pending) return Promise.reject(new Error('a WebSocket client command is already in progress'))
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (value: unknown) => void, reject }
      this.child.send(command)
    })
  }

  async stop(): Promise<void> {
    if (this.exited) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.disconnect()
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
