import Type, { type TSchema } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { CYLINDER_STATUSES, LOCATION_KINDS } from './domain.js'
import { QR_CODE_PATTERN } from './qr-codes.js'
import { INVENTORY_ROW_LIMIT } from './inventory.service.js'
import { MAX_SPAN_DAYS, REPORT_ROW_LIMIT } from './reports.service.js'

/** The reports `?report=` can name for a CSV download. */
export const REPORT_NAMES = ['activity', 'turnaround', 'holdings', 'overdue-returns', 'tests-due'] as const
export type ReportName = (typeof REPORT_NAMES)[number]

/** A date (a whole UTC day) or a date-time with its zone; checked as a real date by the service. */
const DAY_OR_TIME =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])(T([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,9})?)?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d))?$'

const Count = Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647 })
const SerialNumber = Type.String({ maxLength: 64 })
const QrCode = Type.String({ pattern: QR_CODE_PATTERN, maxLength: 64 })
const GasType = Type.String({ maxLength: 40 })
const LocationName = Type.String({ maxLength: 120 })
const SentTo = Type.String({ maxLength: 200 })
const Status = Type.Enum(CYLINDER_STATUSES)
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const Day = Type.String({ format: 'date', maxLength: 10, description: 'Calendar day, YYYY-MM-DD' })

/** Every status, zeros included, so a client can draw the same columns for every row. */
export const StatusCounts = Type.Object(
  {
    available: Count,
    sent: Count,
    returned: Count,
    in_refill: Count,
    quarantined: Count,
    lost: Count,
    trashed: Count,
  },
  { title: 'CylinderStatusCounts' },
)

export const Inventory = Type.Object(
  {
    total: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Every cylinder on record, trashed included (the sum of byStatus)' }),
    byStatus: StatusCounts,
    byGasType: Type.Array(Type.Object({ gasType: GasType, total: Count, byStatus: StatusCounts }), {
      maxItems: INVENTORY_ROW_LIMIT,
      description: `By gas type, alphabetical (the first ${INVENTORY_ROW_LIMIT})`,
    }),
    byLocation: Type.Array(
      Type.Object({
        locationId: Type.Union([Uuid, Type.Null()], { description: 'null for a free-text sentTo destination' }),
        name: Type.Union([LocationName, Type.Null()], { description: 'The location’s name; null for a free-text sentTo destination' }),
        sentTo: Type.Union([SentTo, Type.Null()], { description: 'The free-text destination; null for a location' }),
        kind: Type.Union([Type.Enum(LOCATION_KINDS), Type.Null()], { description: 'null for a free-text sentTo destination' }),
        total: Count,
        byStatus: StatusCounts,
      }),
      { maxItems: INVENTORY_ROW_LIMIT, description: `Places away from the depot holding cylinders (trashed ones left out), most first (the first ${INVENTORY_ROW_LIMIT})` },
    ),
    atDepot: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Not trashed, with neither a location nor a sentTo' }),
    generatedAt: Type.String({ format: 'date-time', maxLength: 40, description: 'When these numbers were computed (a cached answer keeps its time)' }),
  },
  { title: 'CylinderInventory', description: 'The inventory: cylinders per status, gas type and place' },
)

export const ReportsQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ pattern: DAY_OR_TIME, maxLength: 40, description: 'Start (inclusive): YYYY-MM-DD (UTC midnight) or an ISO date-time with zone. Default: the start of the 30 UTC days ending with to’s day' })),
    to: Type.Optional(Type.String({ pattern: DAY_OR_TIME, maxLength: 40, description: 'End: YYYY-MM-DD includes that whole day; an ISO date-time is exclusive. Default: now. At most 366 days after from' })),
    bucket: Type.Optional(Type.Enum(['day', 'week'], { default: 'day', description: 'Activity per UTC day, or per ISO week (starting Monday)' })),
    days: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 3650, default: 30, description: 'overdueReturns: sent longer ago than this many days' })),
    dueWithinDays: Type.Optional(Type.Integer({ format: 'int32', minimum: 0, maximum: 3650, default: 30, description: 'testsDue: next test due on or before today + this many days' })),
    format: Type.Optional(Type.Enum(['json', 'csv'], { default: 'json', description: 'csv answers text/csv with the one report named by `report`' })),
    report: Type.Optional(Type.Enum(REPORT_NAMES, { description: 'The report a CSV holds (format=csv only)' })),
  },
  { additionalProperties: false },
)

const Turnaround = Type.Object({
  averageHours: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: 'Average, to 0.01 h; null when none' }),
  count: Count,
})

export const Reports = Type.Object(
  {
    from: Timestamp,
    to: Type.String({ format: 'date-time', maxLength: 40, description: 'Exclusive end of the range' }),
    bucket: Type.Enum(['day', 'week']),
    activity: Type.Array(
      Type.Object({ bucketStart: Day, ship: Count, return: Count, refill_send: Count, refill_receive: Count }),
      { maxItems: MAX_SPAN_DAYS + 1, description: 'Cylinders moved per bucket (by the batch’s scannedAt), every bucket of the range, zeros included' },
    ),
    turnaround: Type.Object(
      {
        sentToReturned: Turnaround,
        refillSendToReceive: Turnaround,
      },
      { description: 'For each return (refill receipt) in the range: the time since that cylinder’s previous ship (refill send)' },
    ),
    holdings: Type.Array(
      Type.Object({ locationId: Nullable(Uuid), name: Nullable(LocationName), sentTo: Nullable(SentTo), cylinders: Count }),
      { maxItems: REPORT_ROW_LIMIT, description: `Cylinders now sent, per customer or free-text sentTo, most first (at most ${REPORT_ROW_LIMIT}; not limited to the range)` },
    ),
    overdueReturns: Type.Array(
      Type.Object({
        cylinderId: Uuid,
        serialNumber: SerialNumber,
        qrCode: QrCode,
        locationId: Nullable(Uuid),
        locationName: Nullable(LocationName),
        sentTo: Nullable(SentTo),
        since: Timestamp,
        days: Count,
      }),
      { maxItems: REPORT_ROW_LIMIT, description: `Sent longer than \`days\` days ago and not back, oldest first (at most ${REPORT_ROW_LIMIT})` },
    ),
    testsDue: Type.Array(
      Type.Object({ cylinderId: Uuid, serialNumber: SerialNumber, qrCode: QrCode, gasType: GasType, status: Status, nextTestDue: Day }),
      { maxItems: REPORT_ROW_LIMIT, description: `Not trashed, next test due by today + dueWithinDays (overdue included), soonest first (at most ${REPORT_ROW_LIMIT})` },
    ),
  },
  { title: 'CylinderReports', description: 'The reports over the range, and the state now' },
)

export const CacheHeader = Type.Enum(['hit', 'miss'], { description: 'hit: served from the cache; miss: computed for this request' })
export const CsvDisposition = Type.String({ maxLength: 200, pattern: '^attachment; filename="[a-z0-9-]+\\.csv"$', description: 'CSV only: `attachment; filename="<report>-<from>-<to>.csv"`' })

export const Csv = Type.String({ maxLength: 1_000_000, description: 'RFC 4180 CSV with a header row; cells starting with = + - @ are prefixed with a single quote' })
