import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { CHAT_TYPES, REPORT_STATUSES } from './domain.js'
import { MessageView } from './message.view.js'

export const REPORT_REASON_LENGTH = 1000

export const ReportBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: REPORT_REASON_LENGTH, description: `What is wrong with the message, 1–${REPORT_REASON_LENGTH} characters (not blank)` }) },
  { additionalProperties: false },
)

const reportFields = {
  id: Uuid,
  messageId: Uuid,
  chatId: Uuid,
  reason: Type.String({ maxLength: REPORT_REASON_LENGTH }),
  status: Type.Enum(REPORT_STATUSES, { description: '`open` until a moderator resolves or dismisses it' }),
  createdAt: Timestamp,
}

export const ReportView = Type.Object(reportFields, { title: 'ChatReport', description: 'Your report' })

export const ClosedReportView = Type.Object(
  { ...reportFields, resolvedBy: Type.Union([Uuid, Type.Null()]), resolvedAt: Type.Union([Timestamp, Type.Null()]) },
  { title: 'ChatClosedReport', description: 'The report as a moderator left it' },
)

export const AdminReportView = Type.Object(
  {
    ...reportFields,
    reporter: Type.Object({ id: Uuid, username: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]), name: Type.String({ maxLength: 100 }), deleted: Type.Boolean() }),
    resolvedBy: Type.Union([Uuid, Type.Null()]),
    resolvedAt: Type.Union([Timestamp, Type.Null()]),
    message: Type.Union([MessageView, Type.Null()], { description: 'The message reported (its tombstone once deleted)' }),
    chat: Type.Union(
      [Type.Object({ id: Uuid, type: Type.Enum(CHAT_TYPES), title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]), deleted: Type.Boolean() }), Type.Null()],
      { description: 'The chat it was posted in' },
    ),
  },
  { title: 'ChatAdminReport' },
)

export const ReportPage = Page(AdminReportView, 'ChatReportPage', 'Open reports first, newest first within open and closed')

export const ReportListQuery = Type.Object(
  { ...PaginationQuery, status: Type.Optional(Type.Enum(REPORT_STATUSES, { description: 'Only reports in this status' })) },
  { additionalProperties: false },
)

export const CloseReportBody = Type.Object(
  { status: Type.Enum(['resolved', 'dismissed'] as const, { description: '`resolved`: acted on; `dismissed`: nothing wrong' }) },
  { additionalProperties: false },
)

const Day = (description: string) => Type.String({ format: 'date', maxLength: 10, description })

export const StatsQuery = Type.Object(
  {
    from: Type.Optional(Day('First day (UTC), YYYY-MM-DD; default: 29 days before `to`')),
    to: Type.Optional(Day('Last day (UTC), included; default: today')),
    chatId: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 200, default: 200, description: 'Rows per page (max 200)' })),
    cursor: PaginationQuery.cursor,
  },
  { additionalProperties: false },
)

export const StatsPage = Type.Object(
  {
    from: Type.String({ format: 'date', maxLength: 10 }),
    to: Type.String({ format: 'date', maxLength: 10 }),
    items: Type.Array(
      Type.Object({
        chatId: Uuid,
        day: Type.String({ format: 'date', maxLength: 10, description: 'UTC day' }),
        messages: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Messages sent that day (system messages not counted; deleted ones are)' }),
        activeSenders: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Distinct people who sent them' }),
      }),
      { maxItems: 200, description: 'By day, then chat; only days with messages' },
    ),
    nextCursor: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
  },
  { title: 'ChatStats', description: 'The range shown (UTC days, both included) and a page of its rows' },
)
