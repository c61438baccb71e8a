import Type, { type TObject } from 'typebox'
import { Uuid } from '../../core/http/schemas.js'
import { VersionField } from '../../core/http/resource/resource-routes.shared.js'
import { Dimension, DrawingView, ImageView, Position, ShortText, StoryText, StoryView, Strokes } from './child.view.js'
import type { ChildKindOf } from './children.repository.js'
import { IMAGE_KINDS } from './domain.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Optional(Type.Union([schema, Type.Null()], { description }))

const storyFields = { title: nullable(ShortText('Title'), 'Title, or null'), text: Type.Optional(StoryText) }
const imageFields = {
  kind: Type.Optional(Type.Enum(IMAGE_KINDS, { description: 'generated or uploaded (default)' })),
  storyId: nullable(Uuid, 'A story of this project it illustrates, or null'),
  prompt: nullable(ShortText('The prompt', 10_000), 'The prompt, or null'),
  provider: nullable(ShortText('AI provider', 50), 'The AI provider, or null'),
  model: nullable(ShortText('Model', 100), 'The model, or null'),
  width: nullable(Dimension, 'Width in pixels, or null'),
  height: nullable(Dimension, 'Height in pixels, or null'),
  styleId: nullable(Uuid, 'A style preset of this project, or null'),
  characterIds: Type.Optional(Type.Array(Uuid, { maxItems: 50, description: 'Characters of this project shown' })),
}
const FileId = Type.String({ format: 'uuid', maxLength: 36, description: 'One of your files (POST /api/files)' })
const drawingFields = { title: nullable(ShortText('Title'), 'Title, or null'), strokes: Type.Optional(Strokes) }

interface KindSchemas {
  view: TObject
  create: TObject
  replace: TObject
  patch: TObject
}

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => Type.Object(properties as never, { additionalProperties: false, ...extra })
const position = { position: Type.Optional(Position) }

/** Per kind: the view, and the bodies of POST (position: default last), PUT and PATCH (with `version`). */
export const childSchemas: Record<ChildKindOf, KindSchemas> = {
  story: {
    view: StoryView,
    create: object({ ...storyFields, ...position }),
    replace: object({ ...storyFields, ...position, version: VersionField }),
    patch: object({ ...storyFields, ...position, version: VersionField }, { minProperties: 1 }),
  },
  image: {
    view: ImageView,
    create: object({ fileId: FileId, ...imageFields, ...position }),
    replace: object({ fileId: FileId, ...imageFields, ...position, version: VersionField }),
    patch: object({ fileId: Type.Optional(FileId), ...imageFields, ...position, version: VersionField }, { minProperties: 1 }),
  },
  drawing: {
    view: DrawingView,
    create: object({ ...drawingFields, ...position }),
    replace: object({ ...drawingFields, ...position, version: VersionField }),
    patch: object({ ...drawingFields, ...position, version: VersionField }, { minProperties: 1 }),
  },
}

export const ChildList = (view: TObject, title: string) =>
  Type.Object({ items: Type.Array(view, { maxItems: 1000, description: 'In order' }) }, { title, description: 'Every item of this kind in the project, in order' })
