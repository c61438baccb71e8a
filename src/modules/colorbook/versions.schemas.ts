import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { DrawingView, ImageView, StoryView } from './child.view.js'
import { MAX_CHILDREN } from './children.service.js'
import { VERSION_KINDS } from './domain.js'
import { ProjectView } from './project.view.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const Version = Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The row’s version when the snapshot was taken' })
const Kind = Type.Enum(VERSION_KINDS, { description: 'named (made with a label), automatic (scheduled, or asked for without a label) or system (made before a restore)' })

export const VersionParams = Type.Object({ id: Uuid, versionId: Uuid }, { additionalProperties: false })
export const VersionListQuery = Type.Object({ kind: Type.Optional(Kind), ...PaginationQuery }, { additionalProperties: false })
export const CreateVersionBody = Type.Object(
  { label: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'A label makes a named version (kept until you delete it); without one the version is automatic' })) },
  { additionalProperties: false },
)

export const VersionView = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    kind: Kind,
    label: nullable(Type.String({ maxLength: 200 }), 'The label (named and system versions), or null'),
    projectVersion: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The project’s version when it was taken' }),
    createdBy: nullable(Uuid, 'Who made it (null: the scheduled automatic versions)'),
    sizeBytes: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Size of the snapshot as JSON' }),
    createdAt: Timestamp,
  },
  { title: 'ColorbookVersion', description: 'A version (snapshot) of a project' },
)
export const VersionPage = Page(VersionView, 'ColorbookVersionPage')

const { role: _role, ...projectFields } = ProjectView.properties
const times = { id: Uuid, projectId: Uuid, version: Version, createdAt: Timestamp, updatedAt: Timestamp }
const short = (description: string, maxLength = 5000) => Type.String({ maxLength, description })
const Character = Type.Object(
  {
    ...times,
    name: short('Name', 200),
    description: nullable(short('Description'), 'Description, or null'),
    referenceFileIds: Type.Array(Uuid, { maxItems: 100, description: 'Reference images (core files)' }),
  },
  { title: 'ColorbookCharacterSnapshot', description: 'A character of the project' },
)
const Style = Type.Object(
  {
    ...times,
    name: short('Name', 200),
    promptFragment: nullable(short('Prompt fragment'), 'Prompt fragment, or null'),
    palette: Type.Array(short('A colour', 32), { maxItems: 100, description: 'Palette' }),
    lineWeight: nullable(Type.Number({ minimum: 0, maximum: 1000, description: 'Line weight in points' }), 'Line weight, or null'),
  },
  { title: 'ColorbookStyleSnapshot', description: 'A style preset of the project' },
)
const list = <T extends Parameters<typeof Type.Array>[0]>(item: T, description: string) => Type.Array(item, { maxItems: MAX_CHILDREN, description })

export const Snapshot = Type.Object(
  {
    format: Type.Integer({ format: 'int32', minimum: 1, maximum: 1000, description: 'The snapshot’s format' }),
    project: Type.Object(projectFields, { description: 'The project’s fields' }),
    stories: list(StoryView, 'The stories, in order'),
    images: list(ImageView, 'The images, in order'),
    drawings: list(DrawingView, 'The drawings, in order'),
    characters: list(Character, 'The characters'),
    stylePresets: list(Style, 'The style presets'),
  },
  { title: 'ColorbookSnapshot', description: 'The project and all its children as they were' },
)
export const VersionDocument = Type.Object({ ...VersionView.properties, snapshot: Snapshot }, { title: 'ColorbookVersionDocument', description: 'A version with its snapshot' })
export const RestoreResult = Type.Object(
  { project: ProjectView, backup: VersionView },
  { title: 'ColorbookRestoreResult', description: 'The project as restored, and the system version of what it was just before' },
)
