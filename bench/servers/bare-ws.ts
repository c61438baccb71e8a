import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { answer, closeHttpServer, exitOnShutdown, failStartup, printReady, readJson } from './lifecycle.js'
import { parsePublishRequest, parseStatsRequest, processStats, publishEvents, TICK_EVENT, type TickData } from './realtime-control.js'

/**
 * The baseline of the realtime scenarios: a bare `ws` server (the library and options the gateway
 * uses: no per-message deflate, 64 KiB max payload) speaking just enough of docs/realtime.md for the
 * same clients: `{"type":"ready"}` on connect, `subscribe` answered with `subscribed`, and
 * `{"type":"event","room","seq","event","data","at"}` messages of the same shape and size as the
 * app's. No authentication, no event log, no room checks, no send-buffer check: one JSON string per
 * event, sent to every socket of the room.
 *
 * Control over HTTP on the same port, with the same bodies as the app's bench module:
 * `POST /publish {room, count, ratePerSecond?, payloadBytes?}` and `POST /stats {gc?, settleMs?}`.
 */
const rooms = new Map<string, { seq: number; sockets: Set<WebSocket> }>()
/** Every open socket, as the gateway keeps its connections: closed on shutdown. */
const open = new Set<WebSocket>()

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => answer(response, 500, { error: error instanceof Error ? error.message : String(error) }))
})
const sockets = new WebSocketServer({ server, path: '/api/realtime', perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false })

sockets.on('connection', (socket) => {
  open.add(socket)
  const joined = new Set<string>()
  socket.on('message', (raw: Buffer) => {
    let message: { type?: unknown; room?: unknown; ref?: unknown }
    try {
      message = JSON.parse(raw.toString()) as typeof message
    } catch {
      return socket.send('{"type":"error","error":{"code":"BAD_REQUEST","message":"Messages must be JSON.","details":{}}}')
    }
    if (message.type !== 'subscribe' || typeof message.room !== 'string') {
      return socket.send(JSON.stringify({ type: 'error', ref: message.ref, error: { code: 'BAD_REQUEST', message: 'Only subscribe is supported.', details: {} } }))
    }
    const room = roomState(message.room)
    room.sockets.add(socket)
    joined.add(message.room)
    socket.send(JSON.stringify({ type: 'subscribed', room: message.room, seq: room.seq, ref: message.ref }))
  })
  socket.on('close', () => {
    open.delete(socket)
    for (const name of joined) rooms.get(name)?.sockets.delete(socket)
  })
  socket.send('{"type":"ready"}')
})

function roomState(name: string): { seq: number; sockets: Set<WebSocket> } {
  let room = rooms.get(name)
  if (!room) rooms.set(name, (room = { seq: 0, sockets: new Set() }))
  return room
}

/** What the app's gateway receives from the event log: one serialized message for every socket of the room. */
function broadcast(name: string, data: TickData): void {
  const room = roomState(name)
  const message = JSON.stringify({ type: 'event', room: name, seq: ++room.seq, event: TICK_EVENT, data, at: new Date().toISOString() })
  for (const socket of room.sockets) socket.send(message)
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') return answer(response, 405, { error: 'POST /publish or POST /stats' })
  const body = await readJson(request)
  if (request.url === '/stats') return answer(response, 200, await processStats(parseStatsRequest(body)))
  if (request.url !== '/publish') return answer(response, 404, { error: 'POST /publish or POST /stats' })
  const publish = parsePublishRequest(body)
  if (typeof publish === 'string') return answer(response, 400, { error: publish })
  answer(response, 200, await publishEvents(publish, (data) => broadcast(publish.room, data)))
}

exitOnShutdown(() => {
  for (const socket of open) socket.terminate()
  sockets.close()
  return closeHttpServer(server)
})

server.listen(0, '127.0.0.1', () => printReady({ port: (server.address() as AddressInfo).port, realtime: 'bare-ws' }))
server.on('error', (error) => failStartup(error))
