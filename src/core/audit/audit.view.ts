import type { AuditRow } from './db/schema.js'

export interface AuditEntryView {
  id: string
  actorId: string | null
  action: string
  targetId: string | null
  ip: string | null
  userAgent: string | null
  details: Record<string, unknown>
  at: string
}

export function toAuditEntryView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    actorId: row.actorId,
    action: row.action,
    targetId: row.targetId,
    ip: row.ip,
    userAgent: row.userAgent,
    details: (row.details ?? {}) as Record<string, unknown>,
    at: row.at.toISOString(),
  }
}
