/** One event as delivered to clients: `seq` increases by one per room. */
export interface RoomEvent {
  room: string
  seq: number
  event: string
  data: unknown
  at: string
}

export interface RetentionPolicy {
  /** Events younger than this are kept… */
  minAgeMs: number
  /** …and the newest this many events… */
  minCount: number
  /** …but a room never holds more than this many bytes of events (serialized): the oldest go first. */
  maxBytesPerRoom: number
  /** Rooms with retained events; past it, the room published to least recently loses its events. */
  maxRooms: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { minAgeMs: 5 * 60_000, minCount: 1000, maxBytesPerRoom: 256 * 1024, maxRooms: 4000 }

/** What a resubscribing client gets: the events after `since`, or a reset when they are gone. */
export type Replay = { kind: 'events'; events: RoomEvent[]; seq: number } | { kind: 'reset'; seq: number }

/**
 * Sequencing, retention and replay of room events, shared by every instance: in memory when
 * Plinth runs alone, in Redis otherwise (see redis-event-log.ts).
 */
export interface EventLog {
  /** Assigns the room's next seq, retains the event and returns it. */
  append(room: string, event: string, data: unknown): Promise<RoomEvent>
  /** The room's latest seq (0 when nothing was ever published, or the memory log's floor: see MemoryEventLog). */
  head(room: string): Promise<number>
  replay(room: string, since: number): Promise<Replay>
}

/** Removes events that are both older than minAge and beyond the newest minCount. */
export function trimmable(events: readonly RoomEvent[], policy: Pick<RetentionPolicy, 'minAgeMs' | 'minCount'>, now: number): number {
  let removable = 0
  const excess = events.length - policy.minCount
  while (removable < excess && now - Date.parse(events[removable]!.at) >= policy.minAgeMs) removable++
  return removable
}

interface RoomLog {
  seq: number
  events: RoomEvent[]
  /** Serialized size of each retained event, and their sum. */
  sizes: number[]
  bytes: number
}

/**
 * One process. Memory is bounded: at most `maxBytesPerRoom` of events per room and `maxRooms`
 * rooms, the room published to least recently being forgotten first. A forgotten room's seq must
 * not start again at 1 (a client holding seq 7 would be replayed another room's events as if they
 * followed), so rooms this log does not hold all report `floor`, the highest seq it ever forgot:
 * a room starts from there, and a replay from before it answers `reset`.
 */
export class MemoryEventLog implements EventLog {
  /** In order of last append: the first is the least recently published to. */
  private readonly rooms = new Map<string, RoomLog>()
  private floor = 0

  constructor(private readonly policy: RetentionPolicy = DEFAULT_RETENTION) {}

  async append(room: string, event: string, data: unknown): Promise<RoomEvent> {
    const state = this.rooms.get(room) ?? { seq: this.floor, events: [], sizes: [], bytes: 0 }
    this.rooms.delete(room)
    this.rooms.set(room, state)
    const entry: RoomEvent = { room, seq: ++state.seq, event, data, at: new Date().toISOString() }
    const size = Buffer.byteLength(JSON.stringify(entry))
    state.events.push(entry)
    state.sizes.push(size)
    state.bytes += size
    let removable = trimmable(state.events, this.policy, Date.now())
    let bytes = state.bytes
    for (let i = 0; i < removable; i++) bytes -= state.sizes[i]!
    while (bytes > this.policy.maxBytesPerRoom && removable < state.events.length) bytes -= state.sizes[removable++]!
    if (removable > 0) {
      state.events.splice(0, removable)
      state.sizes.splice(0, removable)
      state.bytes = bytes
    }
    while (this.rooms.size > this.policy.maxRooms) {
      const [oldest, forgotten] = this.rooms.entries().next().value as [string, RoomLog]
      this.rooms.delete(oldest)
      this.floor = Math.max(this.floor, forgotten.seq)
    }
    return entry
  }

  async head(room: string): Promise<number> {
    return this.rooms.get(room)?.seq ?? this.floor
  }

  async replay(room: string, since: number): Promise<Replay> {
    const state = this.rooms.get(room)
    const seq = state?.seq ?? this.floor
    if (since === seq) return { kind: 'events', events: [], seq }
    // A client ahead of the log saw a log that is gone (e.g. an embedded restart): start over.
    if (since > seq) return { kind: 'reset', seq }
    const oldest = state?.events[0]?.seq ?? seq + 1
    if (since + 1 < oldest) return { kind: 'reset', seq }
    return { kind: 'events', events: state!.events.filter((e) => e.seq > since), seq }
  }
}
