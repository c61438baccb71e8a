import type { Redis } from 'ioredis'
import type { EventLog, Replay, RetentionPolicy, RoomEvent } from './event-log.js'

const PREFIX = 'plinth:rt:'
/** Rooms nobody publishes to for a day are forgotten. */
const IDLE_EXPIRY_SECONDS = 86_400

/**
 * Appends atomically: the next seq, the retained entry (member `<atMs>|<json>`, score seq), trimming
 * of the oldest entries — those both older than minAge and beyond the newest minCount, then as many
 * as the room's byte limit requires —, the room's place in the rooms index (past maxRooms, the room
 * published to least recently loses its entries; its seq key stays, so a replay answers `reset`)
 * and the publish to every instance — so all instances see one order per room.
 *
 * KEYS: seq, log, bytes (sum of the log's member lengths), rooms index (scored by KEYS[5], a counter of appends).
 * ARGV: json prefix, json suffix, now, minAge, minCount, expiry, channel, maxBytes, maxRooms, room, key prefix.
 */
const APPEND = `
local seq = redis.call('INCR', KEYS[1])
local json = ARGV[1] .. seq .. ARGV[2]
local member = ARGV[3] .. '|' .. json
redis.call('ZADD', KEYS[2], seq, member)
local bytes = redis.call('INCRBY', KEYS[3], #member)
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[4])
local maxBytes = tonumber(ARGV[8])
local remove, freed, offset, done = 0, 0, 0, false
while not done do
  local oldest = redis.call('ZRANGE', KEYS[2], offset, offset + 99)
  if #oldest == 0 then break end
  for _, m in ipairs(oldest) do
    local aged = remove < excess and tonumber(string.match(m, '^(%d+)|')) <= cutoff
    if aged or bytes - freed > maxBytes then
      remove = remove + 1
      freed = freed + #m
    else
      done = true
      break
    end
  end
  offset = offset + 100
end
if remove > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, remove - 1)
  redis.call('DECRBY', KEYS[3], freed)
end
redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), ARGV[10])
local rooms = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[9])
if rooms > 0 then
  local evicted = 0
  for _, r in ipairs(redis.call('ZRANGE', KEYS[4], 0, rooms)) do
    if evicted < rooms and r ~= ARGV[10] then
      redis.call('ZREM', KEYS[4], r)
      redis.call('DEL', ARGV[11] .. 'log:' .. r, ARGV[11] .. 'bytes:' .. r)
      evicted = evicted + 1
    end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[6])
redis.call('EXPIRE', KEYS[4], ARGV[6])
redis.call('EXPIRE', KEYS[5], ARGV[6])
redis.call('PUBLISH', ARGV[7], json)
return json
`

export const EVENTS_CHANNEL = `${PREFIX}events`

export class RedisEventLog implements EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly policy: RetentionPolicy,
    /** Key namespace; tests give theirs so their small room limits evict only their own rooms. */
    private readonly prefix = PREFIX,
  ) {}

  async append(room: string, event: string, data: unknown): Promise<RoomEvent> {
    const now = Date.now()
    const at = new Date(now).toISOString()
    const prefix = `{"room":${JSON.stringify(room)},"seq":`
    const suffix = `,"event":${JSON.stringify(event)},"data":${JSON.stringify(data ?? null)},"at":"${at}"}`
    const keys = this.prefix
    const json = (await this.redis.eval(
      APPEND,
      5,
      `${keys}seq:${room}`,
      `${keys}log:${room}`,
      `${keys}bytes:${room}`,
      `${keys}rooms`,
      `${keys}rooms:clock`,
      prefix,
      suffix,
      String(now),
      String(this.policy.minAgeMs),
      String(this.policy.minCount),
      String(IDLE_EXPIRY_SECONDS),
      EVENTS_CHANNEL,
      String(this.policy.maxBytesPerRoom),
      String(this.policy.maxRooms),
      room,
      keys,
    )) as string
    return JSON.parse(json) as RoomEvent
  }

  async head(room: string): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}seq:${room}`)) ?? 0)
  }

  async replay(room: string, since: number): Promise<Replay> {
    const [[, head], [, oldest], [, members]] = (await this.redis
      .multi()
      .get(`${this.prefix}seq:${room}`)
      .zrange(`${this.prefix}log:${room}`, 0, 0, 'WITHSCORES')
      .zrangebyscore(`${this.prefix}log:${room}`, since + 1, '+inf')
      .exec()) as [[null, string | null], [null, string[]], [null, string[]]]
    const seq = Number(head ?? 0)
    if (since === seq) return { kind: 'events', events: [], seq }
    const oldestSeq = oldest.length === 2 ? Number(oldest[1]) : seq + 1
    if (since > seq || since + 1 < oldestSeq) return { kind: 'reset', seq }
    return { kind: 'events', events: members.map((member) => JSON.parse(member.slice(member.indexOf('|') + 1)) as RoomEvent), seq }
  }
}
