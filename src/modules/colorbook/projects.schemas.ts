import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { VersionField } from '../../core/http/resource/resource-routes.shared.js'
import { DrawingView, ImageView, StoryView } from './child.view.js'
import { PageFormat, ProjectView, Settings, Tag, Tags } from './project.view.js'
import { PROJECT_SORTS } from './projects.repository.js'

const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Title (1–200 characters, not blank)' })
const Description = Type.Union([Type.String({ maxLength: 5000 }), Type.Null()], { description: 'Description (at most 5,000 characters), or null' })
const CoverFileId = Type.Union([Uuid, Type.Null()], { description: 'One of your files as the cover, or null' })

const fields = { description: Type.Optional(Description), tags: Type.Optional(Tags), pageFormat: Type.Optional(PageFormat), settings: Type.Optional(Settings), coverFileId: Type.Optional(CoverFileId) }

export const CreateProjectBody = Type.Object({ title: Title, ...fields }, { additionalProperties: false })
export const ReplaceProjectBody = Type.Object({ title: Title, ...fields, version: VersionField }, { additionalProperties: false })
export const PatchProjectBody = Type.Object({ title: Type.Optional(Title), ...fields, version: VersionField }, { additionalProperties: false, minProperties: 1 })

export const ProjectListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The title or description contains this (any case)' })),
    tag: Type.Optional(Tag),
    templateId: Type.Optional(Uuid),
    trashed: Type.Optional(Type.Boolean({ description: 'true: your projects in the trash instead' })),
    updatedAfter: Type.Optional(Timestamp),
    sort: Type.Optional(Type.Enum(PROJECT_SORTS, { description: 'Order (default -updatedAt: most recently changed first)' })),
    ...PaginationQuery,
  },
  { additionalProperties: false },
)

export const IncludeQuery = Type.Object(
  {
    include: Type.Optional(
      Type.String({ pattern: '^(stories|images|drawings)(,(stories|images|drawings))*$', maxLength: 40, description: 'Children to include, comma-separated: stories, images, drawings' }),
    ),
  },
  { additionalProperties: false },
)

export const DeleteQuery = Type.Object({ permanent: Type.Optional(Type.Boolean({ description: 'true: delete for good instead of to the trash' })) }, { additionalProperties: false })

const MAX_CHILDREN = 1000
export const ProjectDocument = Type.Object(
  {
    ...ProjectView.properties,
    stories: Type.Optional(Type.Array(StoryView, { maxItems: MAX_CHILDREN, description: 'With include=stories: in order' })),
    images: Type.Optional(Type.Array(ImageView, { maxItems: MAX_CHILDREN, description: 'With include=images: in order' })),
    drawings: Type.Optional(Type.Array(DrawingView, { maxItems: MAX_CHILDREN, description: 'With include=drawings: in order' })),
  },
  { title: 'ColorbookProjectDocument', description: 'A project, with the children asked for' },
)

export const ProjectPage = Page(ProjectView, 'ColorbookProjectPage')

const Ids = (kind: string) => Type.Optional(Type.Array(Uuid, { maxItems: MAX_CHILDREN, description: `Every ${kind} of the project, in the new order` }))
export const OrderBody = Type.Object({ stories: Ids('story'), images: Ids('image'), drawings: Ids('drawing') }, { additionalProperties: false, minProperties: 1 })
export const OrderResult = Type.Object(
  {
    stories: Type.Optional(Type.Array(StoryView, { maxItems: MAX_CHILDREN, description: 'The stories, in order' })),
    images: Type.Optional(Type.Array(ImageView, { maxItems: MAX_CHILDREN, description: 'The images, in order' })),
    drawings: Type.Optional(Type.Array(DrawingView, { maxItems: MAX_CHILDREN, description: 'The drawings, in order' })),
  },
  { description: 'The kinds reordered, in their new order' },
)
