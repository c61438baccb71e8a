import type { FileRow } from './db/schema.js'

export interface FileView {
  id: string
  ownerId: string
  name: string
  contentType: string
  size: number
  sha256: string
  /** Images only (`null` otherwise): `pending` until the thumbnail job ran, then `ready` or `failed`. */
  thumbnail: FileRow['thumbnailStatus']
  createdAt: string
}

export function toFileView(row: FileRow): FileView {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    contentType: row.contentType,
    size: row.size,
    sha256: row.sha256,
    thumbnail: row.thumbnailStatus,
    createdAt: row.createdAt.toISOString(),
  }
}
