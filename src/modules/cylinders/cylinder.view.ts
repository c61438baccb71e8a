import type { CylinderEventRow, CylinderRow, ShipmentRow } from './db/schema.js'
import type { ShipmentItem } from './shipments.repository.js'

export const toCylinderView = (row: CylinderRow) => ({
  id: row.id,
  serialNumber: row.serialNumber,
  qrCode: row.qrCode,
  status: row.status,
  gasType: row.gasType,
  capacityLiters: row.capacityLiters,
  owner: row.owner,
  manufacturedOn: row.manufacturedOn,
  lastTestOn: row.lastTestOn,
  nextTestDue: row.nextTestDue,
  locationId: row.locationId,
  sentTo: row.sentTo,
  locationSince: row.locationSince.toISOString(),
  notes: row.notes,
  version: row.version,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})

export type CylinderView = ReturnType<typeof toCylinderView>

export const toEventView = (row: CylinderEventRow) => ({
  id: row.id,
  cylinderId: row.cylinderId,
  type: row.type,
  fromStatus: row.fromStatus,
  toStatus: row.toStatus,
  actorId: row.actorId,
  at: row.at.toISOString(),
  reason: row.reason,
  shipmentId: row.shipmentId,
  locationId: row.locationId,
  data: row.data,
})

export const toShipmentView = (row: ShipmentRow, items: readonly ShipmentItem[]) => ({
  id: row.id,
  type: row.type,
  locationId: row.locationId,
  sentTo: row.sentTo,
  workerId: row.workerId,
  clientBatchId: row.clientBatchId,
  scannedAt: row.scannedAt.toISOString(),
  notes: row.notes,
  count: row.itemCount,
  createdAt: row.createdAt.toISOString(),
  // By serial number (code-point order), whichever order the rows came in: a replay answers byte for byte.
  items: [...items].sort((a, b) => (a.serialNumber < b.serialNumber ? -1 : a.serialNumber > b.serialNumber ? 1 : 0)).map((item) => ({
    cylinderId: item.cylinderId,
    serialNumber: item.serialNumber,
    qrCode: item.qrCode,
    fromStatus: item.fromStatus,
    toStatus: item.toStatus,
  })),
})

export type ShipmentView = ReturnType<typeof toShipmentView>
