import Type from 'typebox'
import { MAX_NAME_LENGTH } from '../auth/auth.schemas.js'
import { Page, PaginationQuery, Uuid } from '../http/schemas.js'
import { FileMetadata, MAX_FILE_BYTES } from './files.schemas.js'

const Bytes = (description: string) => Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description })

const Owner = Type.Object(
  {
    id: Uuid,
    email: Type.String({ maxLength: 254, description: 'The owner’s e-mail (an erased account shows its placeholder)' }),
    name: Type.String({ maxLength: MAX_NAME_LENGTH, description: 'The owner’s display name' }),
  },
  { title: 'FileOwner', description: 'The account the file belongs to' },
)

const AdminFile = Type.Object({ ...FileMetadata.properties, owner: Owner }, { title: 'AdminFile', description: 'A file’s metadata and its owner' })

export const AdminFilePage = Page(AdminFile, 'AdminFilePage', 'A page of files, in the order asked for, and the cursor of the next')

export const AdminFileQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: Type.Optional(Type.Enum(['-createdAt', '-size'], { default: '-createdAt', description: 'Newest first (default) or largest first' })),
    ownerId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only this account’s files' })),
    contentType: Type.Optional(
      Type.String({ maxLength: 100, pattern: '^[a-z0-9][a-z0-9.+-]*/([a-z0-9][a-z0-9.+-]*|\\*)$', description: 'Only this type (`application/pdf`), or every subtype of one (`image/*`)' }),
    ),
    minSize: Type.Optional(Type.Integer({ format: 'int64', minimum: 0, maximum: MAX_FILE_BYTES, description: 'Only files of at least this many bytes' })),
    maxSize: Type.Optional(Type.Integer({ format: 'int64', minimum: 0, maximum: MAX_FILE_BYTES, description: 'Only files of at most this many bytes' })),
    from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only files uploaded at or after this time (ISO-8601)' })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only files uploaded at or before this time (ISO-8601)' })),
  },
  { additionalProperties: false },
)

const OwnerUsage = Type.Object(
  {
    owner: Owner,
    bytesUsed: Bytes('Bytes of the owner’s stored files (thumbnails not counted)'),
    files: Bytes('How many files the owner has'),
    quotaBytes: Type.Union([Type.Integer({ format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
      description: 'The quota that applies to the owner (their own, else STORAGE_QUOTA_BYTES); null: none',
    }),
  },
  { title: 'OwnerStorageUsage' },
)

export const OwnerUsagePage = Page(OwnerUsage, 'OwnerUsagePage', 'Owners with files, by bytes stored, largest first, and the cursor of the next')

export const OwnerUsageQuery = Type.Object(
  { ...PaginationQuery, ownerId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only this account (no item when it has no file)' })) },
  { additionalProperties: false },
)
