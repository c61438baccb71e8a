import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { CYLINDER_STATUSES, EVENT_TYPES, MOVE_TYPES } from './domain.js'
import { QR_CODE_PATTERN } from './qr-codes.js'

/** At most this many cylinders per batch (a pallet, a truck): bounded work per request. */
export const MAX_BATCH = 1000

const Day = Type.String({ format: 'date', maxLength: 10, description: 'Calendar day, YYYY-MM-DD' })
const NullableDay = Type.Union([Day, Type.Null()])
const Status = Type.Enum(CYLINDER_STATUSES, { description: 'available → sent → returned → in_refill → available; quarantined, lost; trashed is final' })
const QrCode = Type.String({ pattern: QR_CODE_PATTERN, maxLength: 64, description: 'The code a label encodes', examples: ['CYL-7Z3K9Q2M4X8B1N6T5R0W2Y4C8D'] })
const ScannedCode = Type.String({ minLength: 1, maxLength: 64, description: 'A scanned QR code (unknown or retired codes are reported per code)' })
const Text = (max: number) => Type.Union([Type.String({ maxLength: max }), Type.Null()])

export const Cylinder = Type.Object(
  {
    id: Uuid,
    serialNumber: Type.String({ maxLength: 64 }),
    qrCode: QrCode,
    status: Status,
    gasType: Type.String({ maxLength: 40 }),
    capacityLiters: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), Type.Null()]),
    owner: Type.Union([Type.String({ maxLength: 120 }), Type.Null()]),
    manufacturedOn: NullableDay,
    lastTestOn: NullableDay,
    nextTestDue: Type.Union([Day, Type.Null()], { description: 'Past this day the cylinder may not go to refill or come back filled' }),
    locationId: Type.Union([Uuid, Type.Null()], { description: 'The customer or refill station it is at; null at the depot' }),
    sentTo: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'Free-text destination, when it went somewhere that is not a managed location' }),
    locationSince: Timestamp,
    notes: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Cylinder', title: 'Cylinder', description: 'The cylinder' },
)
export const CylinderRef = Type.Ref('Cylinder')
export const CylinderPage = Page(CylinderRef, 'CylinderPage', 'A page of cylinders, newest first, and the cursor of the next')

const newCylinderFields = {
  serialNumber: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
  gasType: Type.String({ minLength: 1, maxLength: 40, pattern: '\\S', examples: ['CO2', 'O2', 'Argon', 'LPG'] }),
  capacityLiters: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), Type.Null()])),
  owner: Type.Optional(Text(120)),
  manufacturedOn: Type.Optional(NullableDay),
  lastTestOn: Type.Optional(NullableDay),
  nextTestDue: Type.Optional(NullableDay),
  notes: Type.Optional(Text(2000)),
}

export const NewCylinder = Type.Object(
  { ...newCylinderFields, status: Type.Optional(Type.Union([Type.Literal('available'), Type.Literal('returned'), Type.Literal('quarantined')], { default: 'available' })) },
  { additionalProperties: false },
)

export const AddBody = Type.Object({ cylinders: Type.Array(NewCylinder, { minItems: 1, maxItems: MAX_BATCH }) }, { additionalProperties: false })
export const CylinderItems = Type.Object(
  { items: Type.Array(CylinderRef, { maxItems: MAX_BATCH, description: 'In the order they were sent' }) },
  { title: 'CylinderItems', description: 'The cylinders as they are now' },
)

export const EditBody = Type.Object(
  {
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version you read; a stale one is 409 VERSION_CONFLICT with the current record' }),
    serialNumber: Type.Optional(newCylinderFields.serialNumber),
    gasType: Type.Optional(newCylinderFields.gasType),
    capacityLiters: newCylinderFields.capacityLiters,
    owner: newCylinderFields.owner,
    manufacturedOn: newCylinderFields.manufacturedOn,
    lastTestOn: newCylinderFields.lastTestOn,
    nextTestDue: newCylinderFields.nextTestDue,
    notes: newCylinderFields.notes,
  },
  { additionalProperties: false },
)

const refs = {
  qrCodes: Type.Optional(Type.Array(ScannedCode, { maxItems: MAX_BATCH, description: 'Scanned codes (or send cylinderIds)' })),
  cylinderIds: Type.Optional(Type.Array(Uuid, { maxItems: MAX_BATCH, description: 'Cylinder ids (or send qrCodes)' })),
}

export const MoveBody = Type.Object(
  {
    ...refs,
    locationId: Type.Optional({ ...Uuid, description: 'Where the cylinders go: a customer (ship) or a refill station (refill send)' }),
    sentTo: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Where the cylinders go when it is not a managed location: free text, such as a site name' })),
    clientBatchId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'The scanner’s id for this batch: resending it returns the original result (200) and moves nothing' }),
    ),
    scannedAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'When the batch was scanned (offline scanners), within the last 7 days' })),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)

/** Return and refill receive bring cylinders back to the depot: they name no destination. */
export const DepotMoveBody = Type.Omit(MoveBody, ['locationId', 'sentTo'], { additionalProperties: false })

export const ActionBody = Type.Object({ ...refs, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false })
export const ReasonBody = Type.Object({ ...refs, reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) }, { additionalProperties: false })
export const ReleaseBody = Type.Object(
  { ...refs, lastTestOn: Day, nextTestDue: Day, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
)
export const ReprintBody = Type.Object({ cylinderId: Uuid, reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })

export const Shipment = Type.Object(
  {
    id: Uuid,
    type: Type.Enum(MOVE_TYPES),
    locationId: Type.Union([Uuid, Type.Null()]),
    sentTo: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    workerId: Uuid,
    clientBatchId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    scannedAt: Timestamp,
    notes: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    count: Type.Integer({ format: 'int32', minimum: 1, maximum: MAX_BATCH }),
    createdAt: Timestamp,
    items: Type.Array(
      Type.Object({ cylinderId: Uuid, serialNumber: Type.String({ maxLength: 64 }), qrCode: QrCode, fromStatus: Status, toStatus: Status }),
      { maxItems: MAX_BATCH },
    ),
  },
  { $id: 'CylinderShipment', title: 'CylinderShipment', description: 'The batch: what moved, where, when and by whom' },
)
export const ShipmentRef = Type.Ref('CylinderShipment')

export const ListQuery = Type.Object(
  {
    ...PaginationQuery,
    status: Type.Optional(Status),
    locationId: Type.Optional(Uuid),
    gasType: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    testDueBefore: Type.Optional(Type.String({ format: 'date', maxLength: 10, description: 'Next test due on or before this day' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Serial number, code, gas type, owner or notes contain this' })),
  },
  { additionalProperties: false },
)

export const HistoryEvent = Type.Object(
  {
    id: Uuid,
    cylinderId: Uuid,
    type: Type.Enum(EVENT_TYPES),
    fromStatus: Type.Union([Status, Type.Null()]),
    toStatus: Type.Union([Status, Type.Null()]),
    actorId: Type.Union([Uuid, Type.Null()]),
    at: Timestamp,
    reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    shipmentId: Type.Union([Uuid, Type.Null()]),
    locationId: Type.Union([Uuid, Type.Null()]),
    data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  },
  { title: 'CylinderHistoryEvent' },
)
export const HistoryPage = Page(HistoryEvent, 'CylinderHistoryPage', 'A page of the cylinder’s history, newest first, and the cursor of the next')
export const HistoryQuery = Type.Object(PaginationQuery, { additionalProperties: false })

export const CodeParams = Type.Object({ qrCode: ScannedCode }, { additionalProperties: false })
