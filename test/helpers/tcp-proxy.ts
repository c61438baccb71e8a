import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy a test controls, between the app and a real server, to make that server fail on cue:
 * `cut()` drops every connection and refuses new ones, `blackhole()` keeps connections open but
 * lets nothing through (as a frozen server or a network that loses every packet: what was sent
 * arrives once it heals; new connections are accepted and never answered), `restore()` passes
 * traffic again. Never stops the shared service behind it.
 */
export interface TcpProxy {
  readonly port: number
  cut(): Promise<void>
  blackhole(): void
  restore(): Promise<void>
  close(): Promise<void>
}

type Mode = 'pass' | 'blackhole' | 'cut'

/**
 * A proxy in front of the PostgreSQL server a connection URL names (over TCP, or a Unix socket as the
 * embedded server's), and the URL that reaches it through the proxy (always TCP on 127.0.0.1).
 */
export async function startDatabaseProxy(url: string): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(url)
  const socketDir = target.searchParams.get('host')
  const proxy = socketDir ? await startTcpProxy({ path: `${socketDir}/.s.PGSQL.${target.port || 5432}` }) : await startTcpProxy(Number(target.port || 5432), target.hostname)
  target.searchParams.delete('host')
  target.hostname = '127.0.0.1'
  target.port = String(proxy.port)
  return { proxy, url: target.toString() }
}

/** `target`: a TCP port (on `targetHost`), or a Unix socket's path. */
export async function startTcpProxy(target: number | { path: string }, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: Mode = 'pass'
  const sockets = new Set<Socket>()
  const relayed = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  }
  const server: Server = createServer((client) => {
    track(client)
    if (mode !== 'pass') return // held open, never answered (its data is dropped)
    const upstream = typeof target === 'number' ? connect(target, targetHost) : connect(target.path)
    track(upstream)
    for (const socket of [client, upstream]) {
      relayed.add(socket)
      socket.on('close', () => relayed.delete(socket))
    }
    // Paused sockets hold their data (TCP buffers it) until `restore()` resumes them.
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const port = (server.address() as { port: number }).port
  const closeServer = (): Promise<void> => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
  const dropAll = (): void => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    port,
    async cut() {
      mode = 'cut'
      const closed = closeServer()
      dropAll()
      await closed
    },
    blackhole() {
      mode = 'blackhole'
      for (const socket of relayed) socket.pause()
    },
    async restore() {
      if (mode === 'cut') await listen(port)
      mode = 'pass'
      for (const socket of relayed) socket.resume()
    },
    async close() {
      mode = 'cut'
      const closed = closeServer()
      dropAll()
      await closed
    },
  }
}

/** A server that accepts connections and never answers (a hung Redis or PostgreSQL). */
export async function startBlackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const proxy = await startTcpProxy(1)
  proxy.blackhole()
  return { port: proxy.port, close: () => proxy.close() }
}
