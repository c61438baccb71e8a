import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { CYLINDER_STATUSES, LOCATION_KINDS, MOVE_TYPES } from './domain.js'

const Status = Type.Enum(CYLINDER_STATUSES)
const Instant = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })], {
    description: `${description}: an ISO date-time with offset, or a day YYYY-MM-DD (midnight UTC)`,
  })

const shipmentFields = {
  id: Uuid,
  type: Type.Enum(MOVE_TYPES),
  locationId: Type.Union([Uuid, Type.Null()]),
  sentTo: Type.Union([Type.String(), Type.Null()], { description: 'Free-text destination, when it went somewhere that is not a managed location' }),
  workerId: Uuid,
  clientBatchId: Type.Union([Type.String(), Type.Null()]),
  scannedAt: Timestamp,
  notes: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer({ minimum: 1, description: 'Cylinders in the batch' }),
  createdAt: Timestamp,
  worker: Type.Object({ id: Uuid, name: Type.String(), email: Type.String() }, { description: 'Who scanned the batch' }),
  location: Type.Union([Type.Object({ id: Uuid, name: Type.String(), kind: Type.Enum(LOCATION_KINDS) }), Type.Null()], {
    description: 'The customer or refill station, as named now; null for the depot or a free-text destination',
  }),
}

export const AdminShipment = Type.Object(shipmentFields, { title: 'CylinderAdminShipment' })
export const AdminShipmentPage = Page(AdminShipment, 'CylinderAdminShipmentPage')

export const AdminShipmentDetail = Type.Object(
  {
    ...shipmentFields,
    items: Type.Array(Type.Object({ cylinderId: Uuid, serialNumber: Type.String(), qrCode: Type.String(), fromStatus: Status, toStatus: Status }), {
      description: 'The cylinders, by serial number',
    }),
  },
  { title: 'CylinderAdminShipmentDetail' },
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
