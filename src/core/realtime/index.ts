import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../../config/index.js'
import type { Actor } from '../access/actor.js'
import type { Identity } from '../auth/identity.js'
import { MemoryEventLog } from './event-log.js'
import { MemoryPresence, RedisPresence, type Presence } from './presence.js'
import { RealtimeGateway } from './gateway.js'
import { Realtime } from './realtime.js'
import { RedisEventLog } from './redis-event-log.js'

/**
 * What modules get: publish after the transaction that caused the event has committed. Never
 * rejects (a failure is logged), and need not be awaited: a room's publishes keep their call order.
 * A request should not await it, so a hanging Redis never holds its response.
 */
export interface RealtimePublisher {
  publish(room: string, event: string, data: unknown): Promise<unknown>
  /**
   * A live-only event (`typing.stop`): delivered to the room's subscribers on every instance as
   * `{"type":"event","room","event","data","at"}`, with no seq, never retained nor replayed; the
   * room's seq is untouched. Never rejects (a failure is logged); need not be awaited.
   */
  publishEphemeral(room: string, event: string, data: unknown): Promise<unknown>
  /**
   * Ends these users' subscriptions to the room on every instance, after the room's earlier
   * publishes (someone removed from a chat stops hearing it at once, not at their next subscribe).
   * Each such socket gets `{"type":"unsubscribed","room","reason":"revoked"}`. Never rejects.
   */
  revoke(room: string, userIds: readonly string[]): Promise<unknown>
}

/**
 * A room name as its owner sees it: `cylinders:123` is `{ name: 'cylinders:123', module: 'cylinders',
 * id: '123' }`, `cylinders` has no id. The id is everything after the first colon (it may hold more).
 */
export interface Room {
  readonly name: string
  /** The owner: the module of that name (or `user` for a user's own room). */
  readonly module: string
  readonly id: string | undefined
}

/** A module's say on its rooms (`<module>` and `<module>:<id>`). */
export interface RoomOwner {
  name: string
  /** Further room kinds the module owns (its `rooms`). */
  kinds?: readonly string[]
  authorizeRoom?(actor: Actor, room: Room): Promise<boolean>
  /** The data to deliver for a client's `send`, or null to refuse it. */
  acceptClientEvent?(actor: Actor, room: Room, event: string, data: Record<string, unknown> | undefined): Promise<Record<string, unknown> | null>
}

/** What becomes of a client's `send`: the data to deliver, or why it is refused. */
export type ClientEventVerdict = { data: Record<string, unknown> } | { refused: string }

/** A module's say on its users' presence, bound to its api. */
export interface PresenceHook {
  name: string
  onPresenceChange(userId: string, online: boolean): Promise<void>
}

/**
 * Calls every module's `onPresenceChange` once per transition in the cluster (presence's
 * `onTransition`), a user's calls one after another so an offline never overtakes its online.
 * A hook that fails is logged; the others and the gateway carry on. Stopping presence waits for
 * the calls still running.
 */
export function installPresenceHooks(presence: Presence, hooks: readonly PresenceHook[], log: FastifyBaseLogger): void {
  if (hooks.length === 0) return
  const chains = new Map<string, Promise<void>>()
  const call = (hook: PresenceHook, userId: string, online: boolean): Promise<void> =>
    Promise.resolve()
      .then(() => hook.onPresenceChange(userId, online))
      .catch((err: unknown) => log.error({ err, module: hook.name, userId, online }, 'onPresenceChange failed'))
  presence.onTransition((userId, online) => {
    const next = (chains.get(userId) ?? Promise.resolve()).then(async () => void (await Promise.all(hooks.map((hook) => call(hook, userId, online)))))
    chains.set(userId, next)
    return next.finally(() => {
      if (chains.get(userId) === next) chains.delete(userId)
    })
  })
}

/** Presence entries outlive a few missed refreshes, then a dead instance's users go offline. */
export async function createPresence(config: Config, redis: Redis | undefined, app: FastifyInstance): Promise<Presence> {
  const presence = redis ? new RedisPresence(redis, config.realtime.heartbeatMs * 3, app.log) : new MemoryPresence()
  await presence.start()
  app.addHook('onClose', () => presence.stop())
  return presence
}

export async function createRealtime(config: Config, redis: Redis | undefined, app: FastifyInstance): Promise<Realtime> {
  const log = redis ? new RedisEventLog(redis, config.realtime.retention) : new MemoryEventLog(config.realtime.retention)
  const realtime = new Realtime(log, app.log, redis)
  await realtime.start()
  app.addHook('onClose', () => realtime.stop())
  return realtime
}

/**
 * Opens `/api/realtime` on the app's server. Sockets of a revoked session close at once (a live
 * revocation message, or a resync that learnt of it), and every socket is closed (1001) before
 * the server stops on shutdown.
 */
export function installGateway(
  app: FastifyInstance,
  services: { realtime: Realtime; presence: Presence; identity: Identity },
  owners: readonly RoomOwner[],
  config: Config,
): RealtimeGateway {
  const { realtime, presence, identity } = services
  const gateway = new RealtimeGateway({
    realtime,
    presence,
    authenticate: identity.verifyAccessToken,
    authorizeRoom: roomAuthorizer(owners),
    acceptClientEvent: clientEventAcceptor(owners),
    heartbeatMs: config.realtime.heartbeatMs,
    maxBufferedBytes: config.realtime.maxBufferedBytes,
    maxSocketsPerUser: config.realtime.maxSocketsPerUser,
    log: app.log,
  })
  gateway.attach(app.server)
  const unsubscribe = identity.revocations.onRevoked((sessionId) => gateway.closeSession(sessionId))
  app.addHook('preClose', async () => {
    unsubscribe()
    gateway.close()
  })
  return gateway
}

/** `user:<id>` is its user's own; any other kind belongs to the module of that name. */
export function roomAuthorizer(owners: readonly RoomOwner[]): (actor: Actor, room: string) => Promise<boolean> {
  const byName = ownersByKind(owners)
  return async (actor, name) => {
    const room = parseRoom(name)
    if (room.module === 'user') return room.id === actor.id
    const owner = byName.get(room.module)
    return owner?.authorizeRoom ? owner.authorizeRoom(actor, room) : false
  }
}

/** Only a module that says so takes client events in its rooms; `user:<id>` rooms take none. */
export function clientEventAcceptor(owners: readonly RoomOwner[]): (actor: Actor, room: string, event: string, data: Record<string, unknown> | undefined) => Promise<ClientEventVerdict> {
  const byName = ownersByKind(owners)
  return async (actor, name, event, data) => {
    const room = parseRoom(name)
    const owner = room.module === 'user' ? undefined : byName.get(room.module)
    if (!owner?.acceptClientEvent) return { refused: `${name} takes no events from clients.` }
    const accepted = await owner.acceptClientEvent(actor, room, event, data)
    return accepted ? { data: accepted } : { refused: `You may not send ${event} to ${name}.` }
  }
}

/** Each owner under its module name and its further room kinds. */
function ownersByKind(owners: readonly RoomOwner[]): Map<string, RoomOwner> {
  return new Map(owners.flatMap((owner) => [owner.name, ...(owner.kinds ?? [])].map((kind) => [kind, owner] as const)))
}

/** Splits a room name the protocol has validated (`<kind>` or `<kind>:<id>`, src/core/realtime/protocol.ts). */
export function parseRoom(name: string): Room {
  const colon = name.indexOf(':')
  return Object.freeze(colon === -1 ? { name, module: name, id: undefined } : { name, module: name.slice(0, colon), id: name.slice(colon + 1) })
}
