import type { Redis } from 'ioredis'
import type { EventLog, Replay, RetentionPolicy, RoomEvent } from './event-log.js'

const PREFIX = 'plinth:rt:'
/** Rooms nobody publishes to for a day are forgotten. */
const IDLE_EXPIRY_SECONDS = 86_400

/**
 * Appends atomically: the next seq, the retained entry (member `<atMs>|<json>`, score seq),
 * trimming of entries both older than minAge and beyond the newest minCount, and the publish
 * to every instance — so all instances see one order per room.
 */
const APPEND = `
local seq = redis.call('INCR', KEYS[1])
local json = ARGV[1] .. seq .. ARGV[2]
redis.call('ZADD', KEYS[2], seq, ARGV[3] .. '|' .. json)
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[4])
  local remove = 0
  for _, member in ipairs(oldest) do
    if tonumber(string.match(member, '^(%d+)|')) <= cutoff then remove = remove + 1 else break end
  end
  if remove > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, remove - 1) end
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[7], json)
return json
`

export const EVENTS_CHANNEL = `${PREFIX}events`

export class RedisEventLog implements EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly policy: RetentionPolicy,
  ) {}

  async append(room: string, event: string, data: unknown): Promise<RoomEvent> {
    const now = Date.now()
    const at = new Date(now).toISOString()
    const prefix = `{"room":${JSON.stringify(room)},"seq":`
    const suffix = `,"event":${JSON.stringify(event)},"data":${JSON.stringify(data ?? null)},"at":"${at}"}`
    const json = (await this.redis.eval(
      APPEND,
      2,
      `${PREFIX}seq:${room}`,
      `${PREFIX}log:${room}`,
      prefix,
      suffix,
      String(now),
      String(this.policy.minAgeMs),
      String(this.policy.minCount),
      String(IDLE_EXPIRY_SECONDS),
      EVENTS_CHANNEL,
    )) as string
    return JSON.parse(json) as RoomEvent
  }

  async head(room: string): Promise<number> {
    return Number((await this.redis.get(`${PREFIX}seq:${room}`)) ?? 0)
  }

  async replay(room: string, since: number): Promise<Replay> {
    const [[, head], [, oldest], [, members]] = (await this.redis
      .multi()
      .get(`${PREFIX}seq:${room}`)
      .zrange(`${PREFIX}log:${room}`, 0, 0, 'WITHSCORES')
      .zrangebyscore(`${PREFIX}log:${room}`, since + 1, '+inf')
      .exec()) as [[null, string | null], [null, string[]], [null, string[]]]
    const seq = Number(head ?? 0)
    if (since === seq) return { kind: 'events', events: [], seq }
    const oldestSeq = oldest.length === 2 ? Number(oldest[1]) : seq + 1
    if (since > seq || since + 1 < oldestSeq) return { kind: 'reset', seq }
    return { kind: 'events', events: members.map((member) => JSON.parse(member.slice(member.indexOf('|') + 1)) as RoomEvent), seq }
  }
}
