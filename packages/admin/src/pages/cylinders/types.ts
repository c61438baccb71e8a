/** The cylinder module's shapes, as its API answers them (docs/cylinders.md). */
export const STATUSES = ['available', 'sent', 'returned', 'in_refill', 'quarantined', 'lost', 'trashed'] as const
export type Status = (typeof STATUSES)[number]
export type ByStatus = Record<Status, number>

export const STATUS_COLORS: Record<Status, string> = {
  available: 'var(--chart-2)',
  sent: 'var(--chart-1)',
  returned: 'var(--chart-6)',
  in_refill: 'var(--chart-3)',
  quarantined: 'var(--chart-4)',
  lost: 'var(--chart-5)',
  trashed: 'var(--chart-7)',
}

export interface Cylinder extends Record<string, unknown> {
  id: string
  serialNumber: string
  qrCode: string
  status: Status
  gasType: string
  capacityLiters: number | null
  owner: string | null
  manufacturedOn: string | null
  lastTestOn: string | null
  nextTestDue: string | null
  locationId: string | null
  sentTo: string | null
  locationSince: string
  notes: string | null
  version: number
  createdAt: string
  updatedAt: string
}

export interface Inventory {
  total: number
  byStatus: ByStatus
  byGasType: { gasType: string; total: number; byStatus: ByStatus }[]
  byLocation: { locationId: string | null; name: string | null; sentTo: string | null; kind: string | null; total: number; byStatus: ByStatus }[]
  atDepot: number
  generatedAt: string
}

export interface Reports {
  from: string
  to: string
  bucket: 'day' | 'week'
  activity: { bucketStart: string; ship: number; return: number; refill_send: number; refill_receive: number }[]
  turnaround: { sentToReturned: { averageHours: number | null; count: number }; refillSendToReceive: { averageHours: number | null; count: number } }
  holdings: { locationId: string | null; name: string | null; sentTo: string | null; cylinders: number }[]
  overdueReturns: { cylinderId: string; serialNumber: string; qrCode: string; locationId: string | null; locationName: string | null; sentTo: string | null; since: string; days: number }[]
  testsDue: { cylinderId: string; serialNumber: string; qrCode: string; gasType: string; status: Status; nextTestDue: string }[]
}

export interface Location extends Record<string, unknown> {
  id: string
  name: string
  kind: 'customer' | 'refill_station'
  contactName: string | null
  phone: string | null
  email: string | null
  address: string | null
  notes: string | null
  active: boolean
  version: number
}

export interface Shipment extends Record<string, unknown> {
  id: string
  type: 'ship' | 'return' | 'refill_send' | 'refill_receive'
  sentTo: string | null
  count: number
  scannedAt: string
  notes: string | null
  worker: { id: string; name: string; email: string }
  location: { id: string; name: string; kind: string } | null
}

export interface HistoryEntry extends Record<string, unknown> {
  id: string
  type: string
  fromStatus: Status | null
  toStatus: Status | null
  actorId: string | null
  at: string
  reason: string | null
  shipmentId: string | null
  data: Record<string, unknown> | null
}

/** Applies an `inventory.changed` event's per-status change to the counts shown. */
export function applyDelta(byStatus: ByStatus, delta: Partial<Record<string, number>>): ByStatus {
  const next = { ...byStatus }
  for (const status of STATUSES) next[status] = Math.max(0, (next[status] ?? 0) + (delta[status] ?? 0))
  return next
}
