import { WebSocket } from 'ws'
import { openFilesLimit } from './limits.js'

/**
 * A child process holding realtime client sockets for the bench (started by ws-clients.ts over IPC,
 * so the sockets' event loop is neither the server's nor the bench's). Commands, one at a time:
 *
 *   open {url, headers, count, concurrency}  connect `count` sockets, each waiting for {"type":"ready"}
 *   subscribe {room}                         every socket subscribes, waiting for `subscribed`
 *   arm {events}                             expect seqs head+1 … head+events on every socket
 *   collect {timeoutMs}                      wait until every socket has them all (or the timeout); stats
 *   close {}                                 close every socket
 *
 * Receiving stays cheap: no UTF-8 validation and no JSON.parse of events, only `seq`, `data.sentAt` and
 * `data.i` read from the frame's bytes, so the clients take as little CPU from the server as possible.
 */

export type ClientCommand =
  | { readonly type: 'open'; readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly count: number; readonly concurrency: number }
  | { readonly type: 'subscribe'; readonly room: string }
  | { readonly type: 'arm'; readonly events: number; readonly markers?: EventMarkers }
  | { readonly type: 'collect'; readonly timeoutMs: number }
  | { readonly type: 'close' }

/**
 * Where an event's publish index and send time are read: the bytes right before each number. By default
 * the bench module's `"i":` and `"sentAt":` of `data`; the chat scenarios put them in the message's text
 * (`bench-i=12 bench-sentAt=1764…`), which reaches the frame as a JSON string.
 */
export interface EventMarkers {
  /** Absent: events are not numbered by their publisher (e.g. sent concurrently), only their seqs must be in order. */
  readonly index?: string
  readonly sentAt: string
}

export interface OpenResult {
  readonly open: number
  readonly failed: number
  /** The first few failures, e.g. "close 4401 unauthorized" or "EMFILE". */
  readonly failures: readonly string[]
  /** Soft limit on open files of this process (Linux), or null when unknown. */
  readonly openFilesLimit: number | null
}

export interface SubscribeResult {
  readonly subscribed: number
  readonly failed: number
  readonly failures: readonly string[]
  /** `subscribed.seq` over the sockets: the room's head when they subscribed. */
  readonly minHead: number
  readonly maxHead: number
}

export interface CollectResult {
  readonly sockets: number
  readonly events: number
  /** Event messages received (duplicates included). */
  readonly deliveries: number
  /** Expected events never received, summed over sockets. */
  readonly lost: number
  readonly duplicated: number
  /** Received after a later seq on the same socket, or whose seq does not match its publish index. */
  readonly outOfOrder: number
  /** Event messages outside the expected seqs, and error messages. */
  readonly unexpected: number
  /** Sockets that closed (or errored) while armed: e.g. 4409 slow consumer. */
  readonly closed: number
  readonly failures: readonly string[]
  /** Publish-to-receive latency of every first delivery, in ms (unsorted). */
  readonly latenciesMs: Float64Array
  /** Size of one event message as received (the first one), in bytes; 0 when none. */
  readonly messageBytes: number
  /** wallClockMs of the first and last event received; 0 when none. */
  readonly firstReceivedAt: number
  readonly lastReceivedAt: number
  /** CPU time of this process between `arm` and the end of `collect`, and that wall time. */
  readonly cpuMs: number
  readonly wallMs: number
  readonly timedOut: boolean
}

export type ClientReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string }

const MAX_FAILURES_KEPT = 5
const HANDSHAKE_TIMEOUT_MS = 15_000
const SEQ_KEY = Buffer.from('"seq":')
const SENT_AT_KEY = Buffer.from('"sentAt":')
const INDEX_KEY = Buffer.from('"i":')
const EVENT_PREFIX = Buffer.from('{"type":"event"')

interface Client {
  readonly socket: WebSocket
  /** What the next control message settles (ready, subscribed), if anything waits for one. */
  waiter: ((message: Record<string, unknown> | Error) => void) | undefined
  head: number
  seen: Uint8Array | undefined
  distinct: number
  maxIndex: number
}

/** The sockets' state while armed. */
interface Run {
  events: number
  latencies: Float64Array
  latencyCount: number
  deliveries: number
  duplicated: number
  outOfOrder: number
  unexpected: number
  closed: number
  complete: number
  failures: string[]
  messageBytes: number
  firstReceivedAt: number
  lastReceivedAt: number
  cpuAtArm: NodeJS.CpuUsage
  armedAt: number
  onComplete: (() => void) | undefined
}

let clients: Client[] = []
let sentAtKey = SENT_AT_KEY
let indexKey: Buffer | undefined = INDEX_KEY
let run: Run | undefined

function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

async function handle(command: ClientCommand): Promise<unknown> {
  switch (command.type) {
    case 'open':
      return open(command.url, command.headers, command.count, command.concurrency)
    case 'subscribe':
      return subscribe(command.room)
    case 'arm':
      return arm(command.events, command.markers)
    case 'collect':
      return collect(command.timeoutMs)
    case 'close':
      return closeAll()
  }
}

async function open(url: string, headers: Readonly<Record<string, string>>, count: number, concurrency: number): Promise<OpenResult> {
  const failures: string[] = []
  let failed = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      try {
        clients.push(await connect(url, headers))
      } catch (error) {
        failed++
        if (failures.length < MAX_FAILURES_KEPT) failures.push(error instanceof Error ? error.message : String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return { open: clients.length, failed, failures, openFilesLimit: openFilesLimit() }
}

/** Resolves once the server's `{"type":"ready"}` arrived; rejects on a close, an error or the timeout. */
function connect(url: string, headers: Readonly<Record<string, string>>): Promise<Client> {
  const socket = new WebSocket(url, { headers: { ...headers }, perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS })
  const client: Client = { socket, waiter: undefined, head: 0, seen: undefined, distinct: 0, maxIndex: 0 }
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
      if (message.type === 'ready') return resolve(client)
      socket.terminate()
      reject(new Error(`expected {"type":"ready"}, got ${JSON.stringify(message).slice(0, 200)}`))
    }
  })
}

/** A close or error: settles whatever waits, and counts against a run in progress. */
function settle(client: Client, error: Error): void {
  const waiter = client.waiter
  client.waiter = undefined
  if (waiter) return waiter(error)
  if (run && client.seen && client.distinct < run.events) {
    run.closed++
    if (run.failures.length < MAX_FAILURES_KEPT) run.failures.push(error.message)
    // It will receive nothing more: do not wait for it.
    client.seen = undefined
    countComplete(run)
  }
}

async function subscribe(room: string): Promise<SubscribeResult> {
  const failures: string[] = []
  let subscribed = 0
  let minHead = Number.POSITIVE_INFINITY
  let maxHead = 0
  await Promise.all(
    clients.map(
      (client, index) =>
        new Promise<void>((resolve) => {
          const fail = (problem: string): void => {
            if (failures.length < MAX_FAILURES_KEPT) failures.push(problem)
            resolve()
          }
          if (client.socket.readyState !== WebSocket.OPEN) return fail(`socket no longer open (readyState ${client.socket.readyState})`)
          client.waiter = (message) => {
            if (message instanceof Error) return fail(message.message)
            if (message.type !== 'subscribed' || message.ref !== index || typeof message.seq !== 'number') return fail(`expected subscribed, got ${JSON.stringify(message).slice(0, 200)}`)
            client.head = message.seq
            minHead = Math.min(minHead, message.seq)
            maxHead = Math.max(maxHead, message.seq)
            subscribed++
            resolve()
          }
          client.socket.send(JSON.stringify({ type: 'subscribe', room, ref: index }))
        }),
    ),
  )
  return { subscribed, failed: clients.length - subscribed, failures, minHead: subscribed > 0 ? minHead : 0, maxHead }
}

function arm(events: number, markers?: EventMarkers): { armed: number } {
  sentAtKey = markers ? Buffer.from(markers.sentAt) : SENT_AT_KEY
  indexKey = !markers ? INDEX_KEY : markers.index === undefined ? undefined : Buffer.from(markers.index)
  run = {
    events,
    latencies: new Float64Array(clients.length * events),
    latencyCount: 0,
    deliveries: 0,
    duplicated: 0,
    outOfOrder: 0,
    unexpected: 0,
    closed: 0,
    complete: 0,
    failures: [],
    messageBytes: 0,
    firstReceivedAt: 0,
    lastReceivedAt: 0,
    cpuAtArm: process.cpuUsage(),
    armedAt: wallClockMs(),
    onComplete: undefined,
  }
  for (const client of clients) {
    client.distinct = 0
    client.maxIndex = 0
    client.seen = client.socket.readyState === WebSocket.OPEN ? new Uint8Array(events) : undefined
    if (!client.seen) run.complete++
  }
  return { armed: clients.length }
}

function collect(timeoutMs: number): Promise<CollectResult> {
  const current = run
  if (!current) return Promise.reject(new Error('collect before arm'))
  return new Promise<CollectResult>((resolve) => {
    const finish = (timedOut: boolean): void => {
      clearTimeout(timer)
      current.onComplete = undefined
      run = undefined
      const cpu = process.cpuUsage(current.cpuAtArm)
      let lost = 0
      for (const client of clients) {
        lost += current.events - client.distinct
        client.seen = undefined
      }
      resolve({
        sockets: clients.length,
        events: current.events,
        deliveries: current.deliveries,
        lost,
        duplicated: current.duplicated,
        outOfOrder: current.outOfOrder,
        unexpected: current.unexpected,
        closed: current.closed,
        failures: current.failures,
        latenciesMs: current.latencies.slice(0, current.latencyCount),
        messageBytes: current.messageBytes,
        firstReceivedAt: current.firstReceivedAt,
        lastReceivedAt: current.lastReceivedAt,
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: wallClockMs() - current.armedAt,
        timedOut,
      })
    }
    const timer = setTimeout(() => finish(true), timeoutMs)
    current.onComplete = () => finish(false)
    if (current.complete >= clients.length) finish(false)
  })
}

function onMessage(client: Client, data: Buffer): void {
  const current = run
  if (current && client.seen && startsWith(data, EVENT_PREFIX)) return onEvent(client, data, current)
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
  if (current) {
    current.unexpected++
    if (current.failures.length < MAX_FAILURES_KEPT) current.failures.push(`unexpected message ${JSON.stringify(message).slice(0, 200)}`)
  }
}

function onEvent(client: Client, data: Buffer, current: Run): void {
  const receivedAt = wallClockMs()
  if (current.firstReceivedAt === 0) {
    current.firstReceivedAt = receivedAt
    current.messageBytes = data.length
  }
  current.lastReceivedAt = receivedAt
  current.deliveries++
  const seen = client.seen!
  const index = numberAfter(data, SEQ_KEY) - client.head
  if (!(index >= 1 && index <= current.events)) {
    current.unexpected++
    if (current.failures.length < MAX_FAILURES_KEPT) current.failures.push(`seq outside head+1…head+${current.events}: ${data.toString().slice(0, 200)}`)
    return
  }
  if (seen[index - 1] === 1) {
    current.duplicated++
    return
  }
  seen[index - 1] = 1
  client.distinct++
  if (index < client.maxIndex || (indexKey !== undefined && numberAfter(data, indexKey) !== index - 1)) current.outOfOrder++
  else client.maxIndex = index
  const latency = receivedAt - numberAfter(data, sentAtKey)
  if (Number.isNaN(latency)) {
    current.unexpected++
    if (current.failures.length < MAX_FAILURES_KEPT) current.failures.push(`event without data.sentAt: ${data.toString().slice(0, 200)}`)
  } else {
    current.latencies[current.latencyCount++] = latency
  }
  if (client.distinct === current.events) countComplete(current)
}

function countComplete(current: Run): void {
  current.complete++
  if (current.complete >= clients.length) current.onComplete?.()
}

async function closeAll(): Promise<{ closed: number }> {
  const closing = clients
  clients = []
  await Promise.all(
    closing.map(
      (client) =>
        new Promise<void>((resolve) => {
          const { socket } = client
          client.waiter = undefined
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

/** The JSON number right after the first `key` in `data`; NaN when absent. */
function numberAfter(data: Buffer, key: Buffer): number {
  const at = data.indexOf(key)
  if (at === -1) return Number.NaN
  const start = at + key.length
  let end = start
  while (end < data.length && isNumberByte(data[end]!)) end++
  return Number(data.toString('latin1', start, end))
}

function isNumberByte(byte: number): boolean {
  // 0-9 . - + e E
  return (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x2d || byte === 0x2b || byte === 0x65 || byte === 0x45
}

// Commands arrive one at a time from ws-clients.ts; each gets exactly one reply.
process.on('message', (command: ClientCommand) => {
  handle(command).then(
    (result) => process.send!({ ok: true, result } satisfies ClientReply),
    (error: unknown) => process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) } satisfies ClientReply),
  )
})
// The bench went away: nothing is left to report to.
process.on('disconnect', () => process.exit(0))
