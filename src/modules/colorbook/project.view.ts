import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { ProjectRow } from './db/schema.js'
import { ORIENTATIONS, PAGE_SIZES, type ProjectRole } from './domain.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })

export const Tag = Type.String({ minLength: 1, maxLength: 50, description: 'A tag (trimmed; 1–50 characters)' })
export const Tags = Type.Array(Tag, { maxItems: 30, description: 'Tags, at most 30 (duplicates are dropped)' })
export const PageFormat = Type.Object(
  {
    size: Type.Enum(PAGE_SIZES, { description: 'Paper size' }),
    orientation: Type.Enum(ORIENTATIONS, { description: 'portrait or landscape' }),
  },
  { additionalProperties: false, description: 'The pages’ size and orientation' },
)
export const Settings = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 100, description: 'The client’s own settings for the project (JSON, at most 64 KiB)' })

export const ProjectView = Type.Object(
  {
    id: Uuid,
    ownerId: Uuid,
    title: Type.String({ maxLength: 200, description: 'Title' }),
    description: nullable(Type.String({ maxLength: 5000 }), 'Description, or null'),
    tags: Tags,
    pageFormat: PageFormat,
    settings: Settings,
    coverFileId: nullable(Uuid, 'The cover image (a core file), or null'),
    duplicatedFromId: nullable(Uuid, 'The project this one is a copy of (null once that one is purged)'),
    templateId: nullable(Uuid, 'The template it was created from, or null'),
    trashedAt: nullable(Timestamp, 'When it went to the trash (purged 30 days later), or null'),
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Optimistic-concurrency version (also the ETag)' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    role: Type.Union([Type.Literal('owner'), Type.Literal('editor'), Type.Literal('viewer')], { description: 'What you are to this project' }),
  },
  { title: 'ColorbookProject', description: 'A colouring-book project' },
)

/** The project as every reader sees it (events carry this); REST answers add the caller's `role`. */
export const toProjectData = (row: ProjectRow) => ({
  id: row.id,
  ownerId: row.ownerId,
  title: row.title,
  description: row.description,
  tags: row.tags,
  pageFormat: { size: row.pageSize, orientation: row.pageOrientation },
  settings: row.settings,
  coverFileId: row.coverFileId,
  duplicatedFromId: row.duplicatedFromId,
  templateId: row.templateId,
  trashedAt: row.trashedAt?.toISOString() ?? null,
  version: row.version,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})

export const toProjectView = (row: ProjectRow, role: ProjectRole) => ({ ...toProjectData(row), role })
export type ProjectViewData = ReturnType<typeof toProjectView>
