import type { FastifyBaseLogger } from 'fastify'
import type { RealtimePublisher } from '../../core/realtime/index.js'

/** A project's live room: its owner's devices and its collaborators subscribe. */
export const PROJECT_ROOM_KIND = 'project'
export const projectRoom = (projectId: string): string => `${PROJECT_ROOM_KIND}:${projectId}`

export type ChildKind = 'story' | 'image' | 'drawing'
export type ColorbookEventName = 'project.updated' | 'project.deleted' | `${ChildKind}.${'created' | 'updated' | 'deleted' | 'reordered'}` | `${'character' | 'style'}.${'created' | 'updated' | 'deleted'}` | VersionsEventName
/** Versions and collaborators (versions.service.ts, collaborators.service.ts). */
type VersionsEventName = 'project.restored' | 'version.created' | 'version.deleted' | `collaborator.${'added' | 'updated' | 'removed'}`

/** Events for one user alone, in their own `user:<id>` room. */
export type ColorbookUserEventName = 'export.finished'
export const userRoom = (userId: string): string => `user:${userId}`

export interface PendingEvent {
  projectId: string
  event: ColorbookEventName
  data: unknown
}

/**
 * Publishes after the transaction that caused the events committed. Never awaited by a request (a
 * slow Redis costs the response nothing); the platform keeps each room's order.
 */
export class ColorbookEvents {
  constructor(
    private readonly realtime: RealtimePublisher,
    private readonly log: FastifyBaseLogger,
  ) {}

  publish(events: readonly PendingEvent[]): void {
    for (const { projectId, event, data } of events) {
      void this.realtime.publish(projectRoom(projectId), event, data).catch((err: unknown) => this.log.error({ err, event }, 'colorbook event not published'))
    }
  }

  /** To the user's own `user:<id>` room (what concerns them alone); never awaited, never rejects. */
  toUser(userId: string, event: ColorbookUserEventName, data: unknown): void {
    void this.realtime.publish(userRoom(userId), event, data).catch((err: unknown) => this.log.error({ err, event }, 'colorbook event not published'))
  }

  /** Ends these users' subscriptions to `project:<id>` (after the room's earlier publishes); never awaited, never rejects. */
  revoke(projectId: string, userIds: readonly string[]): void {
    if (userIds.length === 0) return
    void this.realtime.revoke(projectRoom(projectId), userIds).catch((err: unknown) => this.log.error({ err }, 'colorbook room not revoked'))
  }
}
