import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { newId } from '../db/columns.js'
import { auditLog, type AuditRow } from './db/schema.js'

export type NewAuditEntry = Pick<AuditRow, 'action'> & Partial<Pick<AuditRow, 'actorId' | 'targetId' | 'ip' | 'userAgent' | 'details'>>

export interface AuditQuery {
  actorId?: string
  action?: string
  from?: Date
  to?: Date
  after?: { at: Date; id: string }
  limit: number
}

export function createAuditRepository(db: Db) {
  return {
    async append(entry: NewAuditEntry): Promise<void> {
      await db.insert(auditLog).values({ id: newId(), details: {}, ...entry })
    },

    /** Newest first, keyset on (at, id). */
    list(query: AuditQuery): Promise<AuditRow[]> {
      const conditions: (SQL | undefined)[] = []
      if (query.actorId) conditions.push(eq(auditLog.actorId, query.actorId))
      if (query.action) conditions.push(eq(auditLog.action, query.action))
      if (query.from) conditions.push(gte(auditLog.at, query.from))
      if (query.to) conditions.push(lte(auditLog.at, query.to))
      if (query.after) {
        const { at, id } = query.after
        conditions.push(or(lt(auditLog.at, at), and(eq(auditLog.at, at), lt(auditLog.id, id))))
      }
      return db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(query.limit)
    },

    listForUser(userId: string): Promise<AuditRow[]> {
      return db.select().from(auditLog).where(or(eq(auditLog.actorId, userId), eq(auditLog.targetId, userId))).orderBy(desc(auditLog.at))
    },
  }
}

export type AuditRepository = ReturnType<typeof createAuditRepository>
