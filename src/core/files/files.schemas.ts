import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../http/schemas.js'
import { allowedContentTypes } from './content-types.js'
import { DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS } from './signed-links.js'

/** The largest MAX_UPLOAD_BYTES can be (src/config/schema.ts): no stored file is bigger. */
export const MAX_FILE_BYTES = 5_368_709_120

export const FileMetadata = Type.Object(
  {
    id: Uuid,
    ownerId: Type.String({ format: 'uuid', maxLength: 36, description: 'The account that uploaded the file' }),
    name: Type.String({ maxLength: 200, description: 'The uploaded file name, sanitized (no path, no control characters), at most 200 characters' }),
    contentType: Type.String({ maxLength: 100, description: 'Decided from the bytes, not from the name or the upload header', examples: ['image/png'] }),
    size: Type.Integer({ format: 'int64', minimum: 1, maximum: MAX_FILE_BYTES, description: 'Bytes' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, description: 'Hex SHA-256 of the content; the ETag of its content' }),
    thumbnail: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed'), Type.Null()], {
      description:
        'Images get a WebP thumbnail at /api/files/{id}/thumbnail, made in the background: `pending`, then `ready` (or `failed` for pixels that cannot be decoded); the owner is told by a `file.thumbnail` event in the `user:<id>` room. `null` for other files.',
    }),
    createdAt: Timestamp,
  },
  { $id: 'FileMetadata', title: 'FileMetadata', description: 'The file’s metadata' },
)

export const FileRef = Type.Ref('FileMetadata')

export const FilePage = Page(FileRef, 'FilePage', 'A page of your files, newest first, and the cursor of the next')

export const FileListQuery = Type.Object(PaginationQuery, { additionalProperties: false })

export const Usage = Type.Object(
  {
    bytesUsed: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes of your stored files (thumbnails not counted)' }),
    files: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'How many files you have' }),
    maxUploadBytes: Type.Integer({ format: 'int64', minimum: 1, maximum: MAX_FILE_BYTES, description: 'Largest file accepted by POST /api/files' }),
    quotaBytes: Type.Union([Type.Integer({ format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], { description: 'Bytes you may store in all (uploads past it are 413 STORAGE_QUOTA_EXCEEDED); null: no quota' }),
  },
  { title: 'FileUsage', description: 'Your storage use and limits' },
)

/** Documents the multipart body; the route reads the stream itself, so it is not validated as JSON. */
export const UploadBody = Type.Object(
  {
    file: Type.String({
      format: 'binary',
      maxLength: MAX_FILE_BYTES,
      description: `The file, at most \`maxUploadBytes\` bytes (GET /api/files/usage says how many). Accepted types (decided from the bytes): ${allowedContentTypes.join(', ')}.`,
    }),
  },
  { required: ['file'] },
)

export const LinkQuery = Type.Object(
  {
    expiresIn: Type.Optional(
      Type.Integer({ format: 'int32', minimum: 1, maximum: MAX_LINK_SECONDS, default: DEFAULT_LINK_SECONDS, description: `Seconds the link stays valid (default ${DEFAULT_LINK_SECONDS}, at most ${MAX_LINK_SECONDS})` }),
    ),
  },
  { additionalProperties: false },
)

export const SignedLinks = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 4096, description: 'GET it without a token until expiresAt' }),
    thumbnailUrl: Type.Union([Type.String({ format: 'uri', maxLength: 4096 }), Type.Null()], { description: 'The thumbnail, with the same expiry; null without one' }),
    expiresAt: Timestamp,
  },
  { title: 'SignedFileLinks', description: 'Links to the file (and its thumbnail) that work without a token until they expire' },
)

export const ContentQuery = Type.Object(
  {
    expires: Type.Optional(Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'From a signed link: its expiry (Unix seconds)' })),
    signature: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43, description: 'From a signed link: its signature' })),
  },
  { additionalProperties: false },
)

const binary = { type: 'string', format: 'binary', maxLength: MAX_FILE_BYTES } as const

/** A response whose body is the file's bytes (served with the file's own Content-Type). */
export function bytesResponse(description: string) {
  return { description, content: { 'application/octet-stream': { schema: binary } } }
}
