import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { DrawingRow, ImageRow, StoryRow, Stroke as StrokeData } from './db/schema.js'
import { IMAGE_KINDS, STORY_TEXT_MAX } from './domain.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const Version = Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Optimistic-concurrency version (also the ETag)' })
export const Position = Type.Integer({ format: 'int32', minimum: 0, maximum: 1_000_000, description: 'Place in the project’s order (0 first)' })
export const Dimension = Type.Integer({ format: 'int32', minimum: 1, maximum: 100_000, description: 'Pixels' })
export const Coordinate = Type.Number({ minimum: -1_000_000, maximum: 1_000_000, description: 'A coordinate' })
export const StoryText = Type.String({ maxLength: STORY_TEXT_MAX, description: 'The story’s text (at most 50,000 characters)' })
export const ShortText = (description: string, maxLength = 200) => Type.String({ maxLength, description })

export const Stroke = Type.Object(
  {
    points: Type.Array(Type.Array(Coordinate, { minItems: 2, maxItems: 2, description: '[x, y]' }), { minItems: 1, maxItems: 100_000, description: 'The points, in drawing order' }),
    width: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Line width' }),
    color: Type.Optional(Type.String({ maxLength: 32, description: 'A CSS colour, e.g. #1a1a1a' })),
    tool: Type.Optional(Type.String({ maxLength: 32, description: 'The tool, e.g. pen, brush, eraser' })),
  },
  { additionalProperties: false, description: 'One stroke' },
)
export const Strokes = Type.Array(Stroke, { maxItems: 100_000, description: 'The strokes, at most 5 MiB as JSON in all' })

const common = {
  id: Uuid,
  projectId: Uuid,
  position: Position,
  version: Version,
  createdAt: Timestamp,
  updatedAt: Timestamp,
}

export const StoryView = Type.Object(
  { ...common, title: nullable(ShortText('Title'), 'Title, or null'), text: StoryText },
  { title: 'ColorbookStory', description: 'A story of a project' },
)

export const ImageView = Type.Object(
  {
    ...common,
    storyId: nullable(Uuid, 'The story it illustrates, or null (the project’s)'),
    fileId: Uuid,
    kind: Type.Enum(IMAGE_KINDS, { description: 'generated (on the device, with the user’s AI key) or uploaded' }),
    prompt: nullable(ShortText('The prompt', 10_000), 'The prompt it was generated from, or null'),
    provider: nullable(ShortText('AI provider', 50), 'The AI provider, or null'),
    model: nullable(ShortText('Model', 100), 'The model, or null'),
    width: nullable(Dimension, 'Width in pixels, or null'),
    height: nullable(Dimension, 'Height in pixels, or null'),
    styleId: nullable(Uuid, 'The style preset used, or null'),
    characterIds: Type.Array(Uuid, { maxItems: 50, description: 'The characters shown' }),
  },
  { title: 'ColorbookImage', description: 'An image of a project' },
)

export const DrawingView = Type.Object(
  {
    ...common,
    title: nullable(ShortText('Title'), 'Title, or null'),
    strokes: Strokes,
    previewFileId: nullable(Uuid, 'The rendered preview (a core file, PUT /api/drawings/{id}/preview), or null'),
    previewUrl: nullable(Type.String({ maxLength: 64, description: 'The preview’s file route, /api/files/{previewFileId}/content (readable by whoever may read the project)' }), 'Where to read the preview, or null'),
    byteSize: Type.Integer({ format: 'int32', minimum: 0, maximum: 5 * 1024 * 1024, description: 'Bytes of the strokes as JSON' }),
  },
  { title: 'ColorbookDrawing', description: 'A drawing of a project' },
)

/**
 * A drawing's strokes as JSON text: what PostgreSQL holds (read as `strokes::text`), or the body's
 * strokes as they were stored. Answers splice the text in (`drawingJson`) instead of parsing and
 * serialising tens of thousands of points again; `toJSON` keeps every other use (events, stored sync
 * results, error details) whole.
 */
export class StrokesJson {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    return JSON.parse(this.json)
  }
}

/** Strokes as a view carries them: parsed, or as JSON text. */
export type StrokesValue = StrokeData[] | StrokesJson

const strokesText = (strokes: StrokesValue): string => (strokes instanceof StrokesJson ? strokes.json : JSON.stringify(strokes))

const { strokes: _strokes, ...drawingFields } = DrawingView.properties
/** A drawing without its strokes: what the schema serialiser writes before `drawingJson` adds them. */
const DrawingFields = Type.Object(drawingFields, { description: 'A drawing without its strokes' })

/** `object` (a JSON object's text) with one more member whose value is `valueJson` (JSON text). */
export function withMember(object: string, key: string, valueJson: string): string {
  const member = `${JSON.stringify(key)}:${valueJson}`
  return object === '{}' ? `{${member}}` : `${object.slice(0, -1)},${member}}`
}

/**
 * A drawing view as its JSON answer: the fields through the route's serialiser (DrawingView without
 * `strokes`), the strokes as their JSON text. Same content as serialising DrawingView, at a fraction
 * of the cost for large drawings (no number-by-number serialisation, no parsed copy).
 */
export function drawingJson(reply: FastifyReply, view: { strokes: StrokesValue }): string {
  const { strokes, ...fields } = view
  return withMember(reply.serializeInput(fields, DrawingFields as unknown as Record<string, unknown>), 'strokes', strokesText(strokes))
}

/** Answers `json` (already serialised JSON) as application/json. */
export function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json)
}

const times = (row: { createdAt: Date; updatedAt: Date }) => ({ createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() })

export const toStoryView = (row: StoryRow) => ({ id: row.id, projectId: row.projectId, position: row.position, title: row.title, text: row.text, version: row.version, ...times(row) })

export const toImageView = (row: ImageRow) => ({
  id: row.id,
  projectId: row.projectId,
  position: row.position,
  storyId: row.storyId,
  fileId: row.fileId,
  kind: row.kind,
  prompt: row.prompt,
  provider: row.provider,
  model: row.model,
  width: row.width,
  height: row.height,
  styleId: row.styleId,
  characterIds: row.characterIds,
  version: row.version,
  ...times(row),
})

/** The strokes as they come: parsed, or JSON text (StrokesJson, from children.repository.ts; answered through `drawingJson`). */
export const toDrawingViewOf = <S extends StrokesValue>(row: Omit<DrawingRow, 'strokes'> & { strokes: S }) => ({
  id: row.id,
  projectId: row.projectId,
  position: row.position,
  title: row.title,
  strokes: row.strokes,
  previewFileId: row.previewFileId,
  previewUrl: row.previewFileId === null ? null : `/api/files/${row.previewFileId}/content`,
  byteSize: row.byteSize,
  version: row.version,
  ...times(row),
})

export const toDrawingView = (row: DrawingRow) => toDrawingViewOf(row)
