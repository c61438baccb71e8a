import Type from 'typebox'
import { PaginationQuery, Timestamp, Uuid, Page } from '../../core/http/schemas.js'
import { VersionField } from '../../core/http/resource/resource-routes.shared.js'
import { PageFormat, Tag, Tags } from './project.view.js'
import { TEMPLATE_SORTS, type TemplateRow } from './templates.repository.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Title (1–200 characters, not blank)' })
const Description = nullable(Type.String({ maxLength: 5000 }), 'Description (at most 5,000 characters), or null')
export const Category = Type.String({ minLength: 1, maxLength: 50, description: 'A category, e.g. animals (1–50 characters)' })
const Count = (description: string) => Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description })
const MAX_PREVIEW_FILES = 20

const metadata = {
  description: Type.Optional(Description),
  category: Type.Optional(nullable(Category, 'Category, or null')),
  tags: Type.Optional(Tags),
  premium: Type.Optional(Type.Boolean({ description: 'Usable only on plans with premium templates (default false)' })),
  public: Type.Optional(Type.Boolean({ description: 'Listed in the marketplace (default true); a private one is yours alone' })),
}

export const PublishBody = Type.Object({ title: Type.Optional(Title), ...metadata }, { additionalProperties: false, description: 'The template’s listing; the title defaults to the project’s' })
export const ReplaceTemplateBody = Type.Object(
  { title: Title, ...metadata, hidden: Type.Optional(Type.Boolean({ description: 'Moderators only: out of the marketplace (omitted: unchanged)' })), version: VersionField },
  { additionalProperties: false },
)
export const RatingBody = Type.Object({ rating: Type.Integer({ format: 'int32', minimum: 1, maximum: 5, description: '1 (worst) to 5 (best)' }) }, { additionalProperties: false })

export const TemplateListQuery = Type.Object(
  {
    category: Type.Optional(Category),
    tag: Type.Optional(Tag),
    premium: Type.Optional(Type.Boolean({ description: 'true: premium ones only; false: free ones only' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The title or description contains this (any case)' })),
    mine: Type.Optional(Type.Boolean({ description: 'true: your own templates (private and hidden ones too) instead of the marketplace' })),
    sort: Type.Optional(Type.Enum(TEMPLATE_SORTS, { description: 'newest (default), rating (highest average first; unrated count as 0) or usage (most used first)' })),
    ...PaginationQuery,
  },
  { additionalProperties: false },
)

export const TemplateView = Type.Object(
  {
    id: Uuid,
    authorId: Uuid,
    sourceProjectId: nullable(Uuid, 'The project it was published from (null once that is deleted); later changes to it do not reach the template'),
    title: Type.String({ maxLength: 200, description: 'Title' }),
    description: Description,
    category: nullable(Category, 'Category, or null'),
    tags: Tags,
    premium: Type.Boolean({ description: 'Usable only on plans with premium templates (and by its author)' }),
    public: Type.Boolean({ description: 'Listed in the marketplace' }),
    hidden: Type.Boolean({ description: 'Hidden by a moderator: out of the marketplace, still its author’s' }),
    usageCount: Count('Projects made from it'),
    ratingAverage: nullable(Type.Number({ minimum: 1, maximum: 5 }), 'Average rating (two decimals), or null without ratings'),
    ratingCount: Count('Ratings'),
    pageFormat: PageFormat,
    coverFileId: nullable(Uuid, 'The cover (a core file readable by whoever sees the template), or null'),
    counts: Type.Object(
      { stories: Count('Stories'), images: Count('Images'), drawings: Count('Drawings'), characters: Count('Characters'), stylePresets: Count('Style presets') },
      { additionalProperties: false, description: 'What a project made from it starts with' },
    ),
    previewFileIds: Type.Array(Uuid, { maxItems: MAX_PREVIEW_FILES, description: 'The first 20 images’ files, in order (readable by whoever sees the template)' }),
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Optimistic-concurrency version (also the ETag)' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'ColorbookTemplate', description: 'A published snapshot of a project' },
)
export const TemplatePage = Page(TemplateView, 'ColorbookTemplatePage')

export const RatingView = Type.Object(
  {
    templateId: Uuid,
    rating: Type.Integer({ format: 'int32', minimum: 1, maximum: 5, description: 'Your rating' }),
    ratingAverage: Type.Number({ minimum: 1, maximum: 5, description: 'The template’s average now (two decimals)' }),
    ratingCount: Count('The template’s ratings now'),
  },
  { title: 'ColorbookTemplateRating', description: 'Your rating and the template’s totals' },
)

export const averageOf = (row: Pick<TemplateRow, 'ratingSum' | 'ratingCount'>): number | null => (row.ratingCount === 0 ? null : Math.round((row.ratingSum / row.ratingCount) * 100) / 100)

export function toTemplateView(row: TemplateRow) {
  const { summary } = row
  return {
    id: row.id,
    authorId: row.authorId,
    sourceProjectId: row.sourceProjectId,
    title: row.title,
    description: row.description,
    category: row.category,
    tags: row.tags,
    premium: row.premium,
    public: row.public,
    hidden: row.hiddenAt !== null,
    usageCount: row.usageCount,
    ratingAverage: averageOf(row),
    ratingCount: row.ratingCount,
    pageFormat: { size: summary.pageSize, orientation: summary.pageOrientation },
    coverFileId: summary.coverFileId,
    counts: { stories: summary.stories, images: summary.images, drawings: summary.drawings, characters: summary.characters, stylePresets: summary.stylePresets },
    previewFileIds: summary.previewFileIds,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
export type TemplateViewData = ReturnType<typeof toTemplateView>
