import Type from 'typebox'
import { Uuid } from '../../core/http/schemas.js'
import { CLIENT_USAGE_TYPE_NAMES, USAGE_ENTITY_TYPES } from './usage-types.js'

export const MAX_EVENTS_PER_BATCH = 100

const Day = Type.String({ format: 'date', maxLength: 10, description: 'A UTC day, YYYY-MM-DD' })
const Count = (description: string) => Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description })
const TypeName = Type.String({ maxLength: 60, description: 'An event type, e.g. image.generated' })
const MetaValue = Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean(), Type.Null()], { description: 'A value' })

export const ClientEvent = Type.Object(
  {
    type: Type.Enum(CLIENT_USAGE_TYPE_NAMES, { description: 'What happened on the device (each type takes only its own metadata; see the description)' }),
    at: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'When it happened (default now): within the last 30 days, not in the future' })),
    entityType: Type.Optional(Type.Enum(USAGE_ENTITY_TYPES, { description: 'What it concerns (with entityId)' })),
    entityId: Type.Optional(Uuid),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 50 }), MetaValue, { maxProperties: 20, description: 'The type’s own fields, e.g. {provider, model} for image.generated' })),
  },
  { additionalProperties: false, description: 'One usage event from a client' },
)

export const TrackBody = Type.Object(
  { events: Type.Array(ClientEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH, description: `1–${MAX_EVENTS_PER_BATCH} events, all stored or none` }) },
  { additionalProperties: false },
)
export const TrackResult = Type.Object({ accepted: Count('Events stored') }, { description: 'The batch was stored' })

export const RangeQuery = Type.Object(
  {
    from: Type.Optional({ ...Day, description: 'First day (default: 29 days before `to`)' }),
    to: Type.Optional({ ...Day, description: 'Last day, inclusive (default today, UTC); at most 366 days after from' }),
  },
  { additionalProperties: false },
)
export const DashboardQuery = Type.Object(
  { ...RangeQuery.properties, format: Type.Optional(Type.Enum(['json', 'csv'], { description: 'csv: the same numbers as text/csv (metric, day, type, count, users)' })) },
  { additionalProperties: false },
)

const PerDay = Type.Object({ day: Day, count: Count('Events') }, { description: 'A day’s count' })
const MAX_ROWS = 20_000
export const MyUsage = Type.Object(
  {
    from: Day,
    to: Day,
    totals: Type.Array(Type.Object({ type: TypeName, count: Count('Events in the range') }), { maxItems: 100, description: 'Your events per type in the range' }),
    days: Type.Array(Type.Object({ day: Day, type: TypeName, count: Count('Events') }), { maxItems: MAX_ROWS, description: 'Per day and type' }),
  },
  { title: 'ColorbookMyUsage', description: 'Your own usage' },
)

const Active = Type.Array(Type.Object({ day: Day, users: Count('Distinct users with any event in the period') }, { description: 'One period, by its first day' }), { maxItems: 400, description: 'Active users' })
const PlanUsers = Type.Array(Type.Object({ plan: Type.String({ maxLength: 20, description: 'free, pro or enterprise' }), users: Count('Accounts') }), { maxItems: 10, description: 'Accounts per plan' })
export const Dashboard = Type.Object(
  {
    from: Day,
    to: Day,
    rolledUpThrough: Type.Union([Day, Type.Null()], { description: 'The latest day the roll-up job has counted (null: never ran)' }),
    activeUsers: Type.Object(
      { daily: Active, weekly: { ...Active, description: 'Per ISO week (by its Monday)' }, monthly: { ...Active, description: 'Per month (by its first day)' } },
      { description: 'Distinct users with any event per day, week and month' },
    ),
    events: Type.Array(Type.Object({ day: Day, type: TypeName, count: Count('Events'), users: Count('Distinct users') }), { maxItems: MAX_ROWS, description: 'Events per type per day' }),
    projectsCreated: Type.Array(PerDay, { maxItems: 400, description: 'project.created per day' }),
    templateUsage: Type.Array(PerDay, { maxItems: 400, description: 'template.used per day' }),
    conversions: Type.Array(PerDay, { maxItems: 400, description: 'plan.upgraded (free to a paid plan) per day' }),
    planMix: Type.Object(
      { paidSubscriptions: { ...PlanUsers, description: 'Paid subscriptions per plan now' }, activeUsers: { ...PlanUsers, description: 'Users active in the range, by the plan they are on now' } },
      { description: 'Plan mix' },
    ),
  },
  { title: 'ColorbookAnalytics', description: 'Usage over a range of days, from the daily roll-up' },
)

export const Csv = Type.String({ maxLength: 10_000_000, description: 'RFC 4180 CSV with a header row (metric, day, type, count, users)' })
export const CsvDisposition = Type.String({ maxLength: 100, pattern: '^attachment; filename="colorbook-analytics-[0-9-]+\\.csv"$', description: 'CSV only' })
