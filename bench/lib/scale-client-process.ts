import { WebSocket } from 'ws'
import { openFilesLimit } from './limits.js'

/**
 * A child process holding sockets of the chat scale run (bench/chat-scale.ts), each its own user's,
 * on either instance, subscribed to several rooms (the user's room and a few chats). Unlike
 * ws-client-process.ts (one room, a known number of events), it checks every room's seq continuity:
 * each event of a room must carry the seq after the last one that socket got (from `subscribed.seq`
 * on), so a seq skipped is a lost event and one seen again a duplicate, whatever the events are
 * (messages, chat.activity, presence). At `finish` the bench gives every room's head (its Redis
 * counter): a socket still short of it once the wait is over lost the rest. Commands, one at a time:
 *
 *   open {sockets: [{url, token, rooms}], concurrency}  connect, wait for ready, subscribe each room
 *   start {}                                           record latencies from now on
 *   finish {heads, timeoutMs}                          wait until every socket reached its rooms' heads; stats
 *   close {}
 *
 * Latency: an event whose bytes hold `bench-sentAt=<wall-clock ms>` (the scale run's message texts,
 * so `message.sent` and the `chat.activity` preview both) gives receipt − that time.
 */

export interface ScaleSocketSpec {
  readonly url: string
  readonly token: string
  readonly rooms: readonly string[]
}

export type ScaleCommand =
  | { readonly type: 'open'; readonly sockets: readonly ScaleSocketSpec[]; readonly concurrency: number }
  | { readonly type: 'start' }
  | { readonly type: 'finish'; readonly heads: Readonly<Record<string, number>>; readonly timeoutMs: number }
  | { readonly type: 'close' }

export interface ScaleOpenResult {
  readonly open: number
  readonly failed: number
  readonly subscriptions: number
  readonly failures: readonly string[]
  readonly openFilesLimit: number | null
}

export interface ScaleFinishResult {
  readonly sockets: number
  /** Events every socket should have got: Σ (room head − seq at subscribe) over its rooms. */
  readonly expected: number
  /** Events received (duplicates included). */
  readonly deliveries: number
  readonly lost: number
  readonly duplicated: number
  /** Sockets closed or errored after opening. */
  readonly closed: number
  /** Events without a seq or of a room the socket did not subscribe to, and error messages. */
  readonly unexpected: number
  readonly failures: readonly string[]
  /** Send-to-receive latency (ms) of the deliveries carrying a send time, since `start` (unsorted). */
  readonly latenciesMs: Float64Array
  readonly cpuMs: number
  readonly wallMs: number
  readonly timedOut: boolean
}

export type ScaleReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string }

interface RoomState {
  readonly name: string
  readonly key: Buffer
  subscribedAt: number
  last: number
}

interface Client {
  readonly socket: WebSocket
  readonly rooms: RoomState[]
  waiter: ((message: Record<string, unknown> | Error) => void) | undefined
  open: boolean
}

const MAX_FAILURES_KEPT = 5
const HANDSHAKE_TIMEOUT_MS = 30_000
const EVENT_PREFIX = Buffer.from('{"type":"event","room":"')
const SEQ_KEY = Buffer.from('"seq":')
const SENT_AT_KEY = Buffer.from('bench-sentAt=')

let clients: Client[] = []
const failures: string[] = []
let deliveries = 0
let duplicated = 0
let gaps = 0
let closed = 0
let unexpected = 0
let recording = false
let latencies = new Float64Array(1 << 16)
let latencyCount = 0
let cpuAtStart = process.cpuUsage()
let startedAt = 0

function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

function fail(problem: string): void {
  if (failures.length < MAX_FAILURES_KEPT) failures.push(problem)
}

async function open(specs: readonly ScaleSocketSpec[], concurrency: number): Promise<ScaleOpenResult> {
  let next = 0
  let failed = 0
  let subscriptions = 0
  const failuresHere: string[] = []
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const spec = specs[next++]!
      try {
        const client = await connect(spec)
        for (const room of client.rooms) {
          await subscribe(client, room)
          subscriptions++
        }
        clients.push(client)
      } catch (error) {
        failed++
        if (failuresHere.length < MAX_FAILURES_KEPT) failuresHere.push(error instanceof Error ? error.message : String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker))
  return { open: clients.length, failed, subscriptions, failures: failuresHere, openFilesLimit: openFilesLimit() }
}

function connect(spec: ScaleSocketSpec): Promise<Client> {
  const socket = new WebSocket(spec.url, { headers: { authorization: `Bearer ${spec.token}` }, perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS })
  const client: Client = { socket, rooms: spec.rooms.map((name) => ({ name, key: Buffer.from(`${name}"`), subscribedAt: 0, last: 0 })), waiter: undefined, open: false }
  socket.on('message', (data: Buffer) => onMessage(client, data))
  socket.on('close', (code: number, reason: Buffer) => settle(client, new Error(`close ${code} ${reason.toString()}`.trim())))
  socket.on('error', (error: Error) => settle(client, error))
  return new Promise<Client>((resolve, reject) => {
    const timer = setTimeout(() => settle(client, new Error(`no ready message within ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS)
    client.waiter = (message) => {
      clearTimeout(timer)
      if (message instanceof Error) {
        socket.terminate()
        return reject(message)
      }
      if (message.type !== 'ready') {
        socket.terminate()
        return reject(new Error(`expected {"type":"ready"}, got ${JSON.stringify(message).slice(0, 200)}`))
      }
      client.open = true
      resolve(client)
    }
  })
}

/** The head is recorded at once (not after an await): the room's next event may be in the same read. */
function subscribe(client: Client, room: RoomState): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.waiter = (message) => {
      if (message instanceof Error) return reject(message)
      if (message.type !== 'subscribed' || message.room !== room.name || typeof message.seq !== 'number') return reject(new Error(`subscribe ${room.name}: got ${JSON.stringify(message).slice(0, 200)}`))
      room.subscribedAt = room.last = message.seq
      resolve()
    }
    client.socket.send(JSON.stringify({ type: 'subscribe', room: room.name, ref: room.name }))
  })
}

function settle(client: Client, error: Error): void {
  const waiter = client.waiter
  client.waiter = undefined
  if (waiter) return waiter(error)
  if (client.open) {
    client.open = false
    closed++
    fail(error.message)
  }
}

function onMessage(client: Client, data: Buffer): void {
  if (startsWith(data, EVENT_PREFIX)) return onEvent(client, data)
  let message: Record<string, unknown>
  try {
    message = JSON.parse(data.toString()) as Record<string, unknown>
  } catch {
    message = { type: 'unparseable', text: data.toString().slice(0, 200) }
  }
  const waiter = client.waiter
  if (waiter) {
    client.waiter = undefined
    return waiter(message)
  }
  unexpected++
  fail(`unexpected message ${JSON.stringify(message).slice(0, 200)}`)
}

function onEvent(client: Client, data: Buffer): void {
  const receivedAt = wallClockMs()
  deliveries++
  const room = client.rooms.find((r) => data.compare(r.key, 0, r.key.length, EVENT_PREFIX.length, EVENT_PREFIX.length + r.key.length) === 0)
  const seq = numberAfter(data, SEQ_KEY)
  // An event may arrive between `subscribed` of one room and the next subscribe's answer: its room is known.
  if (!room || Number.isNaN(seq)) {
    unexpected++
    fail(`event of no subscribed room, or without seq: ${data.toString().slice(0, 200)}`)
    return
  }
  if (seq <= room.last) duplicated++
  else {
    gaps += seq - room.last - 1
    room.last = seq
  }
  if (recording) {
    const sentAt = numberAfter(data, SENT_AT_KEY)
    if (!Number.isNaN(sentAt)) {
      if (latencyCount === latencies.length) {
        const grown = new Float64Array(latencies.length * 2)
        grown.set(latencies)
        latencies = grown
      }
      latencies[latencyCount++] = receivedAt - sentAt
    }
  }
}

function start(): { started: number } {
  recording = true
  latencyCount = 0
  cpuAtStart = process.cpuUsage()
  startedAt = wallClockMs()
  return { started: clients.length }
}

function finish(heads: Readonly<Record<string, number>>, timeoutMs: number): Promise<ScaleFinishResult> {
  const behind = (): number => {
    let count = 0
    for (const client of clients) if (client.open) for (const room of client.rooms) if (room.last < (heads[room.name] ?? 0)) count++
    return count
  }
  return new Promise<ScaleFinishResult>((resolve) => {
    const deadline = Date.now() + timeoutMs
    const check = (): void => {
      const waiting = behind()
      if (waiting > 0 && Date.now() < deadline) return void setTimeout(check, 100)
      recording = false
      const cpu = process.cpuUsage(cpuAtStart)
      let expected = 0
      let tail = 0
      for (const client of clients) {
        for (const room of client.rooms) {
          const head = heads[room.name] ?? 0
          expected += Math.max(0, head - room.subscribedAt)
          tail += Math.max(0, head - room.last)
        }
      }
      resolve({
        sockets: clients.length,
        expected,
        deliveries,
        lost: gaps + tail,
        duplicated,
        closed,
        unexpected,
        failures: [...failures],
        latenciesMs: latencies.slice(0, latencyCount),
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: wallClockMs() - startedAt,
        timedOut: waiting > 0,
      })
    }
    check()
  })
}

async function closeAll(): Promise<{ closed: number }> {
  const closing = clients
  clients = []
  for (const client of closing) client.open = false
  await Promise.all(
    closing.map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve()
          const timer = setTimeout(() => socket.terminate(), 5000)
          socket.once('close', () => {
            clearTimeout(timer)
            resolve()
          })
          socket.close(1000, 'bench done')
        }),
    ),
  )
  return { closed: closing.length }
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
}

function numberAfter(data: Buffer, key: Buffer): number {
  const at = data.indexOf(key)
  if (at === -1) return Number.NaN
  const begin = at + key.length
  let end = begin
  while (end < data.length && ((data[end]! >= 0x30 && data[end]! <= 0x39) || data[end] === 0x2e)) end++
  return end > begin ? Number(data.toString('latin1', begin, end)) : Number.NaN
}

async function handle(command: ScaleCommand): Promise<unknown> {
  switch (command.type) {
    case 'open':
      return open(command.sockets, command.concurrency)
    case 'start':
      return start()
    case 'finish':
      return finish(command.heads, command.timeoutMs)
    case 'close':
      return closeAll()
  }
}

process.on('message', (command: ScaleCommand) => {
  handle(command).then(
    (result) => process.send!({ ok: true, result } satisfies ScaleReply),
    (error: unknown) => process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) } satisfies ScaleReply),
  )
})
process.on('disconnect', () => process.exit(0))
