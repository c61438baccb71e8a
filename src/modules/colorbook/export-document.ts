import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { Dimension, ShortText, StoryText, Strokes } from './child.view.js'
import type { DrawingRow, ImageRow, ProjectRow, StoryRow } from './db/schema.js'
import { IMAGE_KINDS } from './domain.js'
import type { CharacterRow, StyleRow } from './exports.repository.js'
import { PageFormat, Settings, Tags } from './project.view.js'

/** The JSON export's identity: a reader refuses a format or version it does not know. */
export const DOCUMENT_FORMAT = 'colorbook.project'
export const DOCUMENT_VERSION = 1
const MAX_CHILDREN = 1000

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const object = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description: string) => Type.Object(properties, { additionalProperties: false, description })
const list = <T extends Parameters<typeof Type.Array>[0]>(item: T, description: string, maxItems = MAX_CHILDREN) => Type.Array(item, { maxItems, description })
const LocalId = { ...Uuid, description: 'Its id in the exported project: what images refer to (new ids on import)' }

export const ExportDocument = Type.Object(
  {
    format: Type.Literal(DOCUMENT_FORMAT, { description: 'Always colorbook.project' }),
    version: Type.Literal(DOCUMENT_VERSION, { description: 'The document’s version (1)' }),
    exportedAt: Type.Optional(Timestamp),
    project: object(
      {
        title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Title' }),
        description: nullable(Type.String({ maxLength: 5000 }), 'Description, or null'),
        tags: Tags,
        pageFormat: PageFormat,
        settings: Settings,
        coverFileId: nullable(Uuid, 'The cover (a file), or null'),
      },
      'The project’s own fields',
    ),
    stories: list(object({ id: LocalId, title: nullable(ShortText('Title'), 'Title, or null'), text: StoryText }, 'A story'), 'The stories, in order'),
    styles: list(
      object(
        {
          id: LocalId,
          name: Type.String({ minLength: 1, maxLength: 100, description: 'Name' }),
          promptFragment: nullable(ShortText('Prompt fragment', 2000), 'Prompt fragment, or null'),
          palette: Type.Array(Type.String({ maxLength: 32, description: 'A colour' }), { maxItems: 64, description: 'Palette' }),
          lineWeight: nullable(Type.Number({ minimum: 0, maximum: 1000, description: 'Points' }), 'Line weight in points, or null'),
        },
        'A style preset',
      ),
      'Style presets',
    ),
    characters: list(
      object(
        {
          id: LocalId,
          name: Type.String({ minLength: 1, maxLength: 100, description: 'Name' }),
          description: nullable(ShortText('Description', 5000), 'Description, or null'),
          referenceFileIds: Type.Array(Uuid, { maxItems: 50, description: 'Reference images (files)' }),
        },
        'A character',
      ),
      'Characters',
    ),
    images: list(
      object(
        {
          fileId: Uuid,
          kind: Type.Enum(IMAGE_KINDS, { description: 'generated or uploaded' }),
          storyId: nullable(Uuid, 'One of the document’s stories (by its id), or null'),
          prompt: nullable(ShortText('The prompt', 10_000), 'The prompt, or null'),
          provider: nullable(ShortText('AI provider', 50), 'The AI provider, or null'),
          model: nullable(ShortText('Model', 100), 'The model, or null'),
          width: nullable(Dimension, 'Width in pixels, or null'),
          height: nullable(Dimension, 'Height in pixels, or null'),
          styleId: nullable(Uuid, 'One of the document’s styles, or null'),
          characterIds: Type.Array(Uuid, { maxItems: 50, description: 'The document’s characters shown' }),
        },
        'An image',
      ),
      'The images, in order',
    ),
    drawings: list(object({ title: nullable(ShortText('Title'), 'Title, or null'), strokes: Strokes }, 'A drawing'), 'The drawings, in order'),
  },
  { additionalProperties: false, title: 'ColorbookProjectExport', description: 'A project and all its children as one versioned document (the JSON export; POST /api/projects/import takes it back)' },
)
export type ExportDocumentData = Static<typeof ExportDocument>

export interface ProjectContent {
  project: ProjectRow
  stories: StoryRow[]
  images: ImageRow[]
  drawings: DrawingRow[]
  styles: StyleRow[]
  characters: CharacterRow[]
}

/** The JSON export of a project. */
export function toExportDocument(content: ProjectContent, at: Date): ExportDocumentData {
  const { project } = content
  return {
    format: DOCUMENT_FORMAT,
    version: DOCUMENT_VERSION,
    exportedAt: at.toISOString(),
    project: {
      title: project.title,
      description: project.description,
      tags: project.tags,
      pageFormat: { size: project.pageSize, orientation: project.pageOrientation },
      settings: project.settings,
      coverFileId: project.coverFileId,
    },
    stories: content.stories.map((s) => ({ id: s.id, title: s.title, text: s.text })),
    styles: content.styles.map((s) => ({ id: s.id, name: s.name, promptFragment: s.promptFragment, palette: s.palette, lineWeight: s.lineWeight })),
    characters: content.characters.map((c) => ({ id: c.id, name: c.name, description: c.description, referenceFileIds: c.referenceFileIds })),
    images: content.images.map((i) => ({
      fileId: i.fileId,
      kind: i.kind,
      storyId: i.storyId,
      prompt: i.prompt,
      provider: i.provider,
      model: i.model,
      width: i.width,
      height: i.height,
      styleId: i.styleId,
      characterIds: i.characterIds,
    })),
    drawings: content.drawings.map((d) => ({ title: d.title, strokes: d.strokes })),
  }
}
