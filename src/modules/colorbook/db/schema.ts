import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { resourceColumns, timestampMs } from '../../../core/db/columns.js'
import { userIdReference } from '../../../core/users/reference.js'
import {
  AI_PROVIDERS,
  CHANGE_OPS,
  COLLABORATOR_ROLES,
  EXPORT_FORMATS,
  EXPORT_STATUSES,
  IMAGE_KINDS,
  ORIENTATIONS,
  PAGE_SIZES,
  PLAN_IDS,
  STORY_TEXT_MAX,
  SYNC_ENTITIES,
  VERSION_KINDS,
} from '../domain.js'

/** The database refuses values the code does not know, whatever writes them. */
const oneOf = (column: AnyPgColumn, values: readonly string[]) => sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`

/** PostgreSQL's 64-bit transaction ids (`pg_current_xact_id()`), compared with `pg_snapshot_xmin` by sync readers. */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' })

const emptyTextArray = sql`'{}'::text[]`
const emptyUuidArray = sql`'{}'::uuid[]`

/** A user's colouring book. `version` guards edits of the project's own fields; children have their own. */
export const projects = pgTable(
  'colorbook_projects',
  {
    ...resourceColumns(),
    ownerId: uuid('owner_id').notNull().references(userIdReference),
    title: text('title').notNull(),
    description: text('description'),
    tags: text('tags').array().notNull().default(emptyTextArray),
    pageSize: text('page_size', { enum: PAGE_SIZES }).notNull().default('A4'),
    pageOrientation: text('page_orientation', { enum: ORIENTATIONS }).notNull().default('portrait'),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** A core file (the caller's own when set). */
    coverFileId: uuid('cover_file_id'),
    duplicatedFromId: uuid('duplicated_from_id').references((): AnyPgColumn => projects.id, { onDelete: 'set null' }),
    templateId: uuid('template_id').references((): AnyPgColumn => templates.id, { onDelete: 'set null' }),
    /** In the trash since then: restorable for 30 days, then purged by `colorbook.purge-trash`. */
    trashedAt: timestampMs('trashed_at'),
  },
  (table) => [
    index('colorbook_projects_owner_updated_idx').on(table.ownerId, table.updatedAt, table.id),
    index('colorbook_projects_tags_idx').using('gin', table.tags),
    index('colorbook_projects_trashed_idx').on(table.trashedAt).where(sql`${table.trashedAt} is not null`),
    index('colorbook_projects_template_idx').on(table.templateId),
    index('colorbook_projects_duplicated_from_idx').on(table.duplicatedFromId),
    check('colorbook_projects_page_size_check', oneOf(table.pageSize, PAGE_SIZES)),
    check('colorbook_projects_orientation_check', oneOf(table.pageOrientation, ORIENTATIONS)),
  ],
)

export const stories = pgTable(
  'colorbook_stories',
  {
    ...resourceColumns(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
    title: text('title'),
    text: text('text').notNull().default(''),
  },
  (table) => [
    index('colorbook_stories_project_idx').on(table.projectId, table.position, table.id),
    check('colorbook_stories_text_check', sql`char_length(${table.text}) <= ${sql.raw(String(STORY_TEXT_MAX))}`),
  ],
)

/** Named characters of a project, with reference images (core files), for consistent pages. */
export const characters = pgTable(
  'colorbook_characters',
  {
    ...resourceColumns(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    referenceFileIds: uuid('reference_file_ids').array().notNull().default(emptyUuidArray),
  },
  (table) => [index('colorbook_characters_project_idx').on(table.projectId)],
)

/** Style presets of a project: what images record having used. */
export const stylePresets = pgTable(
  'colorbook_style_presets',
  {
    ...resourceColumns(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    promptFragment: text('prompt_fragment'),
    palette: text('palette').array().notNull().default(emptyTextArray),
    /** Line weight in points. */
    lineWeight: real('line_weight'),
  },
  (table) => [index('colorbook_style_presets_project_idx').on(table.projectId)],
)

/** A page picture: a core file, generated on the device with the user's own AI key or uploaded. */
export const images = pgTable(
  'colorbook_images',
  {
    ...resourceColumns(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    storyId: uuid('story_id').references(() => stories.id, { onDelete: 'set null' }),
    fileId: uuid('file_id').notNull(),
    kind: text('kind', { enum: IMAGE_KINDS }).notNull(),
    prompt: text('prompt'),
    provider: text('provider'),
    model: text('model'),
    width: integer('width'),
    height: integer('height'),
    position: integer('position').notNull().default(0),
    styleId: uuid('style_id').references(() => stylePresets.id, { onDelete: 'set null' }),
    characterIds: uuid('character_ids').array().notNull().default(emptyUuidArray),
  },
  (table) => [
    index('colorbook_images_project_idx').on(table.projectId, table.position, table.id),
    index('colorbook_images_story_idx').on(table.storyId),
    index('colorbook_images_file_idx').on(table.fileId),
    index('colorbook_images_style_idx').on(table.styleId),
    check('colorbook_images_kind_check', oneOf(table.kind, IMAGE_KINDS)),
  ],
)

export interface Stroke {
  points: [number, number][]
  width: number
  color?: string
  tool?: string
}

export const drawings = pgTable(
  'colorbook_drawings',
  {
    ...resourceColumns(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    title: text('title'),
    /**
     * `json`, not `jsonb`: kept as the text written (Plinth writes and reads it whole, never queries
     * inside it), so a 1 MB write skips jsonb's decomposition; lz4-compressed where the server has it
     * (migration 0011). Reading it back as text is a copy, not a re-serialisation.
     */
    strokes: json('strokes').$type<Stroke[]>().notNull().default([]),
    /** The rendered preview (a core file), uploaded with PUT /api/drawings/:id/preview. */
    previewFileId: uuid('preview_file_id'),
    position: integer('position').notNull().default(0),
    /** Bytes of `strokes` as JSON (at most 5 MiB). */
    byteSize: integer('byte_size').notNull().default(2),
  },
  (table) => [
    index('colorbook_drawings_project_idx').on(table.projectId, table.position, table.id),
    index('colorbook_drawings_preview_idx').on(table.previewFileId),
  ],
)

/** Snapshots of a project and all its children. Named ones are never pruned silently. */
export const projectVersions = pgTable(
  'colorbook_project_versions',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: VERSION_KINDS }).notNull(),
    label: text('label'),
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
    /** The project's version when the snapshot was taken. */
    projectVersion: integer('project_version').notNull(),
    createdBy: uuid('created_by').references(userIdReference),
    sizeBytes: integer('size_bytes').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (table) => [
    index('colorbook_project_versions_project_idx').on(table.projectId, table.createdAt, table.id),
    check('colorbook_project_versions_kind_check', oneOf(table.kind, VERSION_KINDS)),
    check('colorbook_project_versions_label_check', sql`${table.kind} <> 'named' or ${table.label} is not null`),
  ],
)

/** Who else works on a project: editors edit content, viewers read. The owner is not listed here. */
export const collaborators = pgTable(
  'colorbook_collaborators',
  {
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(userIdReference),
    role: text('role', { enum: COLLABORATOR_ROLES }).notNull(),
    invitedBy: uuid('invited_by').references(userIdReference),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.projectId, table.userId] }),
    index('colorbook_collaborators_user_idx').on(table.userId, table.projectId),
    check('colorbook_collaborators_role_check', oneOf(table.role, COLLABORATOR_ROLES)),
  ],
)

/** A share to an address with no account yet: applied once that address registers and verifies. */
export const pendingShares = pgTable(
  'colorbook_pending_shares',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    /** Lower-cased. */
    email: text('email').notNull(),
    role: text('role', { enum: COLLABORATOR_ROLES }).notNull(),
    /** SHA-256 of the sign-up link's token, when one was sent. */
    tokenHash: text('token_hash'),
    invitedBy: uuid('invited_by').references(userIdReference),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    acceptedAt: timestampMs('accepted_at'),
  },
  (table) => [
    uniqueIndex('colorbook_pending_shares_project_email_key').on(table.projectId, table.email),
    index('colorbook_pending_shares_email_idx').on(table.email).where(sql`${table.acceptedAt} is null`),
    uniqueIndex('colorbook_pending_shares_token_key').on(table.tokenHash),
    check('colorbook_pending_shares_role_check', oneOf(table.role, COLLABORATOR_ROLES)),
    check('colorbook_pending_shares_email_check', sql`${table.email} = lower(${table.email})`),
  ],
)

/** A published snapshot of a project (not a live link). Ratings are kept as a sum and a count. */
export const templates = pgTable(
  'colorbook_templates',
  {
    ...resourceColumns(),
    authorId: uuid('author_id').notNull().references(userIdReference),
    sourceProjectId: uuid('source_project_id').references((): AnyPgColumn => projects.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    description: text('description'),
    category: text('category'),
    tags: text('tags').array().notNull().default(emptyTextArray),
    premium: boolean('premium').notNull().default(false),
    public: boolean('public').notNull().default(true),
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
    usageCount: integer('usage_count').notNull().default(0),
    ratingSum: integer('rating_sum').notNull().default(0),
    ratingCount: integer('rating_count').notNull().default(0),
    /** Hidden by a moderator: out of the marketplace, still the author's. */
    hiddenAt: timestampMs('hidden_at'),
  },
  (table) => [
    index('colorbook_templates_author_idx').on(table.authorId, table.createdAt),
    index('colorbook_templates_public_idx').on(table.public, table.createdAt, table.id).where(sql`${table.hiddenAt} is null`),
    index('colorbook_templates_category_idx').on(table.category, table.createdAt),
    index('colorbook_templates_tags_idx').using('gin', table.tags),
    index('colorbook_templates_source_idx').on(table.sourceProjectId),
    check('colorbook_templates_rating_check', sql`${table.ratingCount} >= 0 and ${table.ratingSum} between ${table.ratingCount} and 5 * ${table.ratingCount}`),
  ],
)

export const templateRatings = pgTable(
  'colorbook_template_ratings',
  {
    templateId: uuid('template_id').notNull().references(() => templates.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(userIdReference),
    rating: integer('rating').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.templateId, table.userId] }),
    index('colorbook_template_ratings_user_idx').on(table.userId),
    check('colorbook_template_ratings_rating_check', sql`${table.rating} between 1 and 5`),
  ],
)

/** A user's own AI provider key, sealed by envelope encryption (the platform keyring); never stored in clear. */
export const aiKeys = pgTable(
  'colorbook_ai_keys',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(userIdReference),
    provider: text('provider', { enum: AI_PROVIDERS }).notNull(),
    label: text('label'),
    ciphertext: text('ciphertext').notNull(),
    wrappedDataKey: text('wrapped_data_key').notNull(),
    /** The master key the data key is wrapped with. */
    keyId: text('key_id').notNull(),
    last4: text('last4').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    lastRevealedAt: timestampMs('last_revealed_at'),
  },
  (table) => [
    index('colorbook_ai_keys_user_idx').on(table.userId, table.createdAt),
    index('colorbook_ai_keys_key_id_idx').on(table.keyId),
    check('colorbook_ai_keys_provider_check', oneOf(table.provider, AI_PROVIDERS)),
  ],
)

/** Plans and their limits, editable by admins; a null limit is unlimited. Seeded by the migration (a restore replaces the seeded rows with the backup's: src/core/backup/migration-version.ts). */
export const plans = pgTable(
  'colorbook_plans',
  {
    id: text('id', { enum: PLAN_IDS }).primaryKey(),
    name: text('name').notNull(),
    projects: integer('projects'),
    storageBytes: bigint('storage_bytes', { mode: 'number' }),
    versionsPerProject: integer('versions_per_project'),
    /** 0: no sharing. */
    collaboratorsPerProject: integer('collaborators_per_project'),
    premiumTemplates: boolean('premium_templates').notNull().default(false),
    exportWithoutWatermark: boolean('export_without_watermark').notNull().default(false),
    whiteLabel: boolean('white_label').notNull().default(false),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (table) => [check('colorbook_plans_id_check', oneOf(table.id, PLAN_IDS))],
)

/** Each user's mirror of their Stripe subscription (or a plan an admin set). No row: `free`. */
export const subscriptions = pgTable(
  'colorbook_subscriptions',
  {
    userId: uuid('user_id').primaryKey().references(userIdReference),
    planId: text('plan_id', { enum: PLAN_IDS }).notNull().references(() => plans.id),
    status: text('status').notNull().default('active'),
    stripeCustomerId: text('stripe_customer_id'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    currentPeriodEnd: timestampMs('current_period_end'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    /** `created` (Unix seconds) of the newest Stripe event applied: an older one never moves the row back. */
    lastEventCreated: bigint('last_event_created', { mode: 'number' }),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('colorbook_subscriptions_customer_key').on(table.stripeCustomerId),
    uniqueIndex('colorbook_subscriptions_subscription_key').on(table.stripeSubscriptionId),
  ],
)

/** Stripe events applied, by id: each is applied once. */
export const stripeEvents = pgTable('colorbook_stripe_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  /** The event's own `created` (Unix seconds). */
  created: bigint('created', { mode: 'number' }).notNull(),
  processedAt: timestampMs('processed_at').notNull().defaultNow(),
})

/** An enterprise account's white-label branding for its PDFs and its collaborators' e-mails. */
export const branding = pgTable('colorbook_branding', {
  userId: uuid('user_id').primaryKey().references(userIdReference),
  name: text('name'),
  logoFileId: uuid('logo_file_id'),
  colors: jsonb('colors').$type<Record<string, string>>().notNull().default({}),
  createdAt: timestampMs('created_at').notNull().defaultNow(),
  updatedAt: timestampMs('updated_at').notNull().defaultNow(),
})

/** Append-only usage analytics, from the services and from clients. */
export const usageEvents = pgTable(
  'colorbook_usage_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id').references(userIdReference),
    type: text('type').notNull(),
    entityType: text('entity_type'),
    entityId: uuid('entity_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    at: timestampMs('at').notNull().defaultNow(),
  },
  (table) => [index('colorbook_usage_events_at_idx').on(table.at), index('colorbook_usage_events_user_at_idx').on(table.userId, table.at)],
)

/** Usage events rolled up per day and type by a job. */
export const usageDaily = pgTable(
  'colorbook_usage_daily',
  {
    day: date('day').notNull(),
    type: text('type').notNull(),
    count: integer('count').notNull(),
    users: integer('users').notNull(),
  },
  (table) => [primaryKey({ columns: [table.day, table.type] })],
)

/**
 * Every create, update and delete of a project, child or version, written in the transaction that
 * made it. `txId` lets a sync reader stop below the oldest transaction still running
 * (`pg_snapshot_xmin`), so a change that commits late is never skipped. No foreign key: tombstones
 * outlive a purged project.
 */
export const changes = pgTable(
  'colorbook_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    projectId: uuid('project_id').notNull(),
    entity: text('entity', { enum: SYNC_ENTITIES }).notNull(),
    entityId: uuid('entity_id').notNull(),
    op: text('op', { enum: CHANGE_OPS }).notNull(),
    version: integer('version').notNull(),
    txId: xid8('tx_id').notNull().default(sql`pg_current_xact_id()`),
    at: timestampMs('at').notNull().defaultNow(),
    /**
     * Null: for everyone who can see the project when the feed is read. Set: for these users only,
     * whatever they can see now (a purge's or an ended share's tombstone, a new collaborator's copy).
     */
    audience: uuid('audience').array(),
  },
  (table) => [
    index('colorbook_changes_project_idx').on(table.projectId, table.id),
    index('colorbook_changes_project_tx_idx').on(table.projectId, table.txId, table.id),
    index('colorbook_changes_audience_idx').using('gin', table.audience).where(sql`${table.audience} is not null`),
    index('colorbook_changes_at_idx').on(table.at),
    check('colorbook_changes_entity_check', oneOf(table.entity, SYNC_ENTITIES)),
    check('colorbook_changes_op_check', oneOf(table.op, CHANGE_OPS)),
  ],
)

/** Sync mutations applied, by the device's id: a resend returns the stored result. */
export const syncMutations = pgTable(
  'colorbook_sync_mutations',
  {
    userId: uuid('user_id').notNull().references(userIdReference),
    mutationId: text('mutation_id').notNull(),
    result: jsonb('result').$type<Record<string, unknown>>().notNull(),
    at: timestampMs('at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.mutationId] }), index('colorbook_sync_mutations_at_idx').on(table.at)],
)

export const exports = pgTable(
  'colorbook_exports',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(userIdReference),
    format: text('format', { enum: EXPORT_FORMATS }).notNull(),
    status: text('status', { enum: EXPORT_STATUSES }).notNull().default('queued'),
    fileId: uuid('file_id'),
    error: text('error'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    finishedAt: timestampMs('finished_at'),
  },
  (table) => [
    index('colorbook_exports_project_idx').on(table.projectId, table.createdAt),
    index('colorbook_exports_user_idx').on(table.userId, table.createdAt),
    check('colorbook_exports_format_check', oneOf(table.format, EXPORT_FORMATS)),
    check('colorbook_exports_status_check', oneOf(table.status, EXPORT_STATUSES)),
  ],
)

export type ProjectRow = typeof projects.$inferSelect
export type NewProjectRow = typeof projects.$inferInsert
export type StoryRow = typeof stories.$inferSelect
export type ImageRow = typeof images.$inferSelect
export type DrawingRow = typeof drawings.$inferSelect
export type CollaboratorRow = typeof collaborators.$inferSelect
export type PlanRow = typeof plans.$inferSelect
