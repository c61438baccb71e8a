import { sql } from 'drizzle-orm'
import { type AnyPgColumn, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, real, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { resourceColumns, timestampMs } from '../../../core/db/columns.js'
import { userIdReference } from '../../../core/users/reference.js'
import { CYLINDER_STATUSES, EVENT_TYPES, LOCATION_KINDS, MOVE_TYPES } from '../domain.js'

/** The database refuses values the code does not know, whatever writes them. */
const oneOf = (column: AnyPgColumn, values: readonly string[]) => sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`

/** Customers and refill stations (admin-managed). A cylinder with no location is at the depot. */
export const cylinderLocations = pgTable(
  'cylinder_locations',
  {
    ...resourceColumns(),
    name: text('name').notNull(),
    kind: text('kind', { enum: LOCATION_KINDS }).notNull(),
    contactName: text('contact_name'),
    phone: text('phone'),
    email: text('email'),
    address: text('address'),
    notes: text('notes'),
    /** Archived locations take no new shipments; their history stays. */
    active: boolean('active').notNull().default(true),
  },
  (table) => [
    uniqueIndex('cylinder_locations_name_key').on(sql`lower(${table.name})`),
    index('cylinder_locations_kind_idx').on(table.kind, table.name),
    check('cylinder_locations_kind_check', oneOf(table.kind, LOCATION_KINDS)),
  ],
)

export const cylinders = pgTable(
  'cylinders',
  {
    ...resourceColumns(),
    serialNumber: text('serial_number').notNull(),
    /** What the label encodes: random, unguessable, never the id; replaced by a reprint. */
    qrCode: text('qr_code').notNull(),
    status: text('status', { enum: CYLINDER_STATUSES }).notNull().default('available'),
    gasType: text('gas_type').notNull(),
    capacityLiters: real('capacity_liters'),
    /** Who owns the cylinder (the depot, or a customer's own cylinder). */
    owner: text('owner'),
    manufacturedOn: date('manufactured_on'),
    lastTestOn: date('last_test_on'),
    nextTestDue: date('next_test_due'),
    /** Where it is: a customer or refill station; null at the depot. */
    locationId: uuid('location_id').references(() => cylinderLocations.id),
    /** The seed's free-text `sentTo`, when it went somewhere that is not a managed location. */
    sentTo: text('sent_to'),
    /** When it arrived where it is (for "at customers longer than N days"). */
    locationSince: timestampMs('location_since').notNull().defaultNow(),
    notes: text('notes'),
  },
  (table) => [
    uniqueIndex('cylinders_serial_number_key').on(sql`lower(${table.serialNumber})`),
    uniqueIndex('cylinders_qr_code_key').on(table.qrCode),
    index('cylinders_status_idx').on(table.status, table.id),
    // Cylinders out longest first (the overdue-returns report).
    index('cylinders_status_since_idx').on(table.status, table.locationSince),
    index('cylinders_location_idx').on(table.locationId, table.status),
    index('cylinders_next_test_due_idx').on(table.nextTestDue),
    check('cylinders_status_check', oneOf(table.status, CYLINDER_STATUSES)),
  ],
)

/** QR codes replaced by a reprint: scanning one answers 410, naming nothing about the cylinder. */
export const cylinderRetiredCodes = pgTable('cylinder_retired_codes', {
  qrCode: text('qr_code').primaryKey(),
  cylinderId: uuid('cylinder_id')
    .notNull()
    .references(() => cylinders.id),
  retiredAt: timestampMs('retired_at').notNull().defaultNow(),
})

/** One batch of scans: ship, return, refill send or receive. */
export const cylinderShipments = pgTable(
  'cylinder_shipments',
  {
    id: uuid('id').primaryKey(),
    type: text('type', { enum: MOVE_TYPES }).notNull(),
    locationId: uuid('location_id').references(() => cylinderLocations.id),
    sentTo: text('sent_to'),
    workerId: uuid('worker_id')
      .notNull()
      .references(userIdReference),
    /** The scanner's own id for the batch: a resend with the same id returns this shipment. */
    clientBatchId: text('client_batch_id'),
    /** What the batch asked for (type, cylinders, destination), to refuse a reused clientBatchId. */
    requestHash: text('request_hash').notNull(),
    /** When the worker scanned (offline scanners send later); defaults to the time received. */
    scannedAt: timestampMs('scanned_at').notNull(),
    notes: text('notes'),
    itemCount: integer('item_count').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('cylinder_shipments_batch_key').on(table.workerId, table.clientBatchId),
    index('cylinder_shipments_scanned_idx').on(table.scannedAt, table.id),
    index('cylinder_shipments_location_idx').on(table.locationId, table.scannedAt),
    index('cylinder_shipments_worker_idx').on(table.workerId, table.scannedAt),
    check('cylinder_shipments_type_check', oneOf(table.type, MOVE_TYPES)),
  ],
)

export const cylinderShipmentItems = pgTable(
  'cylinder_shipment_items',
  {
    shipmentId: uuid('shipment_id')
      .notNull()
      .references(() => cylinderShipments.id),
    cylinderId: uuid('cylinder_id')
      .notNull()
      .references(() => cylinders.id),
    fromStatus: text('from_status', { enum: CYLINDER_STATUSES }).notNull(),
    toStatus: text('to_status', { enum: CYLINDER_STATUSES }).notNull(),
    /** Where the cylinder was before this move (a return's customer). */
    fromLocationId: uuid('from_location_id').references(() => cylinderLocations.id),
  },
  (table) => [
    primaryKey({ columns: [table.shipmentId, table.cylinderId] }),
    index('cylinder_shipment_items_cylinder_idx').on(table.cylinderId),
    // Deleting a location checks nothing refers to it.
    index('cylinder_shipment_items_from_location_idx').on(table.fromLocationId),
  ],
)

/** Append-only history of every cylinder: moves, edits, reprints, quarantine, trash. */
export const cylinderEvents = pgTable(
  'cylinder_events',
  {
    id: uuid('id').primaryKey(),
    cylinderId: uuid('cylinder_id')
      .notNull()
      .references(() => cylinders.id),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    fromStatus: text('from_status', { enum: CYLINDER_STATUSES }),
    toStatus: text('to_status', { enum: CYLINDER_STATUSES }),
    actorId: uuid('actor_id').references(userIdReference),
    at: timestampMs('at').notNull().defaultNow(),
    reason: text('reason'),
    shipmentId: uuid('shipment_id').references(() => cylinderShipments.id),
    locationId: uuid('location_id').references(() => cylinderLocations.id),
    /** What changed (edits: field → [before, after]). */
    data: jsonb('data').$type<Record<string, unknown>>(),
  },
  (table) => [
    index('cylinder_events_cylinder_idx').on(table.cylinderId, table.at, table.id),
    index('cylinder_events_type_at_idx').on(table.type, table.at),
    index('cylinder_events_location_idx').on(table.locationId),
  ],
)

export type CylinderRow = typeof cylinders.$inferSelect
export type NewCylinderRow = typeof cylinders.$inferInsert
export type LocationRow = typeof cylinderLocations.$inferSelect
export type ShipmentRow = typeof cylinderShipments.$inferSelect
export type ShipmentItemRow = typeof cylinderShipmentItems.$inferSelect
export type CylinderEventRow = typeof cylinderEvents.$inferSelect
