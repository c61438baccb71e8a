import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../http/schemas.js'
import { allowedContentTypes } from './content-types.js'
import { DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS } from './signed-links.js'

export const FileMetadata = Type.Object(
  {
    id: Uuid,
    ownerId: Type.String({ format: 'uuid', description: 'The account that uploaded the file' }),
    name: Type.String({ description: 'The uploaded file name, sanitized (no path, no control characters)' }),
    contentType: Type.String({ description: 'Decided from the bytes, not from the name or the upload header', examples: ['image/png'] }),
    size: Type.Integer({ minimum: 1, description: 'Bytes' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the content; the ETag of its content' }),
    thumbnail: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed'), Type.Null()], {
      description:
        'Images get a WebP thumbnail at /api/files/{id}/thumbnail, made in the background: `pending`, then `ready` (or `failed` for pixels that cannot be decoded); the owner is told by a `file.thumbnail` event in the `user:<id>` room. `null` for other files.',
    }),
    createdAt: Timestamp,
  },
  { $id: 'FileMetadata', title: 'FileMetadata' },
)

export const FileRef = Type.Ref('FileMetadata')

export const FilePage = Page(FileRef, 'FilePage')

export const FileListQuery = Type.Object(PaginationQuery, { additionalProperties: false })

export const Usage = Type.Object(
  {
    bytesUsed: Type.Integer({ minimum: 0, description: 'Bytes of your stored files (thumbnails not counted)' }),
    files: Type.Integer({ minimum: 0, description: 'How many files you have' }),
    maxUploadBytes: Type.Integer({ minimum: 1, description: 'Largest file accepted by POST /api/files' }),
  },
  { title: 'FileUsage' },
)

/** Documents the multipart body; the route reads the stream itself, so it is not validated as JSON. */
export const UploadBody = Type.Object(
  {
    file: Type.String({
      format: 'binary',
      description: `The file. Accepted types (decided from the bytes): ${allowedContentTypes.join(', ')}.`,
    }),
  },
  { required: ['file'] },
)

export const LinkQuery = Type.Object(
  {
    expiresIn: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_LINK_SECONDS, default: DEFAULT_LINK_SECONDS, description: `Seconds the link stays valid (default ${DEFAULT_LINK_SECONDS}, at most ${MAX_LINK_SECONDS})` }),
    ),
  },
  { additionalProperties: false },
)

export const SignedLinks = Type.Object(
  {
    url: Type.String({ format: 'uri', description: 'GET it without a token until expiresAt' }),
    thumbnailUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'The thumbnail, with the same expiry; null without one' }),
    expiresAt: Timestamp,
  },
  { title: 'SignedFileLinks' },
)

export const ContentQuery = Type.Object(
  {
    expires: Type.Optional(Type.Integer({ minimum: 0, description: 'From a signed link: its expiry (Unix seconds)' })),
    signature: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'From a signed link: its signature' })),
  },
  { additionalProperties: false },
)

const binary = { type: 'string', format: 'binary' } as const

/** A response whose body is the file's bytes (served with the file's own Content-Type). */
export function bytesResponse(description: string) {
  return { description, content: { 'application/octet-stream': { schema: binary } } }
}
