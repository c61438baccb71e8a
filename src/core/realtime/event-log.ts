/** One event as delivered to clients: `seq` increases by one per room. */
export interface RoomEvent {
  room: string
  seq: number
  event: string
  data: unknown
  at: string
}

export interface RetentionPolicy {
  /** Events younger than this are always kept. */
  minAgeMs: number
  /** The newest this many events are always kept. */
  minCount: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { minAgeMs: 5 * 60_000, minCount: 1000 }

/** What a resubscribing client gets: the events after `since`, or a reset when they are gone. */
export type Replay = { kind: 'events'; events: RoomEvent[]; seq: number } | { kind: 'reset'; seq: number }

/**
 * Sequencing, retention and replay of room events, shared by every instance: in memory when
 * Plinth runs alone, in Redis otherwise (see redis-event-log.ts).
 */
export interface EventLog {
  /** Assigns the room's next seq, retains the event and returns it. */
  append(room: string, event: string, data: unknown): Promise<RoomEvent>
  /** The room's latest seq (0 when nothing was ever published). */
  head(room: string): Promise<number>
  replay(room: string, since: number): Promise<Replay>
}

/** Removes events that are both older than minAge and beyond the newest minCount. */
export function trimmable(events: readonly RoomEvent[], policy: RetentionPolicy, now: number): number {
  let removable = 0
  const excess = events.length - policy.minCount
  while (removable < excess && now - Date.parse(events[removable]!.at) >= policy.minAgeMs) removable++
  return removable
}

export class MemoryEventLog implements EventLog {
  private readonly rooms = new Map<string, { seq: number; events: RoomEvent[] }>()

  constructor(private readonly policy: RetentionPolicy = DEFAULT_RETENTION) {}

  async append(room: string, event: string, data: unknown): Promise<RoomEvent> {
    const state = this.rooms.get(room) ?? { seq: 0, events: [] }
    this.rooms.set(room, state)
    const entry: RoomEvent = { room, seq: ++state.seq, event, data, at: new Date().toISOString() }
    state.events.push(entry)
    const removable = trimmable(state.events, this.policy, Date.now())
    if (removable > 0) state.events.splice(0, removable)
    return entry
  }

  async head(room: string): Promise<number> {
    return this.rooms.get(room)?.seq ?? 0
  }

  async replay(room: string, since: number): Promise<Replay> {
    const state = this.rooms.get(room)
    const seq = state?.seq ?? 0
    if (since === seq) return { kind: 'events', events: [], seq }
    // A client ahead of the log saw a log that is gone (e.g. an embedded restart): start over.
    if (since > seq) return { kind: 'reset', seq }
    const oldest = state?.events[0]?.seq ?? seq + 1
    if (since + 1 < oldest) return { kind: 'reset', seq }
    return { kind: 'events', events: state!.events.filter((e) => e.seq > since), seq }
  }
}
