import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { DrawingRow, ImageRow, StoryRow } from './db/schema.js'
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
    previewFileId: nullable(Uuid, 'The rendered preview (a core file), or null'),
    byteSize: Type.Integer({ format: 'int32', minimum: 0, maximum: 5 * 1024 * 1024, description: 'Bytes of the strokes as JSON' }),
  },
  { title: 'ColorbookDrawing', description: 'A drawing of a project' },
)

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

export const toDrawingView = (row: DrawingRow) => ({
  id: row.id,
  projectId: row.projectId,
  position: row.position,
  title: row.title,
  strokes: row.strokes,
  previewFileId: row.previewFileId,
  byteSize: row.byteSize,
  version: row.version,
  ...times(row),
})
