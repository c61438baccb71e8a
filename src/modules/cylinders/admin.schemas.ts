import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { MAX_NAME_LENGTH } from '../../core/auth/auth.schemas.js'
import { MAX_BATCH } from './cylinders.schemas.js'
import { CYLINDER_STATUSES, LOCATION_KINDS, MOVE_TYPES } from './domain.js'
import { QR_CODE_PATTERN } from './qr-codes.js'

const Status = Type.Enum(CYLINDER_STATUSES)
const Instant = (description: string) =>
  Type.Union([Type.String({ format: 'date-time', maxLength: 40 }), Type.String({ format: 'date', maxLength: 10 })], {
    description: `${description}: an ISO date-time with offset, or a day YYYY-MM-DD (midnight UTC)`,
  })

const shipmentFields = {
  id: Uuid,
  type: Type.Enum(MOVE_TYPES),
  locationId: Type.Union([Uuid, Type.Null()]),
  sentTo: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'Free-text destination, when it went somewhere that is not a managed location' }),
  workerId: Uuid,
  clientBatchId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
  scannedAt: Timestamp,
  notes: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  count: Type.Integer({ format: 'int32', minimum: 1, maximum: MAX_BATCH, description: 'Cylinders in the batch' }),
  createdAt: Timestamp,
  worker: Type.Object({ id: Uuid, name: Type.String({ maxLength: MAX_NAME_LENGTH }), email: Type.String({ format: 'email', maxLength: 254 }) }, { description: 'Who scanned the batch' }),
  location: Type.Union([Type.Object({ id: Uuid, name: Type.String({ maxLength: 120 }), kind: Type.Enum(LOCATION_KINDS) }), Type.Null()], {
    description: 'The customer or refill station, as named now; null for the depot or a free-text destination',
  }),
}

export const AdminShipment = Type.Object(shipmentFields, { title: 'CylinderAdminShipment' })
export const AdminShipmentPage = Page(AdminShipment, 'CylinderAdminShipmentPage', 'A page of shipments, newest first, and the cursor of the next')

export const AdminShipmentDetail = Type.Object(
  {
    ...shipmentFields,
    items: Type.Array(
      Type.Object({ cylinderId: Uuid, serialNumber: Type.String({ maxLength: 64 }), qrCode: Type.String({ pattern: QR_CODE_PATTERN, maxLength: 64 }), fromStatus: Status, toStatus: Status }),
      { maxItems: MAX_BATCH, description: 'The cylinders, by serial number' },
    ),
  },
  { title: 'CylinderAdminShipmentDetail', description: 'The shipment and every cylinder it moved' },
)

export const AdminShipmentQuery = Type.Object(
  {
    ...PaginationQuery,
    workerId: Type.Optional(Uuid),
    type: Type.Optional(Type.Enum(MOVE_TYPES)),
    locationId: Type.Optional(Uuid),
    from: Type.Optional(Instant('Scanned at or after (inclusive)')),
    to: Type.Optional(Instant('Scanned before this date-time (exclusive), or on or before this day (YYYY-MM-DD, inclusive); must be after from')),
  },
  { additionalProperties: false },
)
