import type { LocationRow } from './db/schema.js'

export const toLocationView = (row: LocationRow) => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  contactName: row.contactName,
  phone: row.phone,
  email: row.email,
  address: row.address,
  notes: row.notes,
  active: row.active,
  version: row.version,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})

export type LocationView = ReturnType<typeof toLocationView>
