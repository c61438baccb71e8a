/** The values the module's tables accept (their check constraints) and its schemas offer. */
export const PAGE_SIZES = ['A4', 'A5', 'Letter', 'Legal', 'Square'] as const
export type PageSize = (typeof PAGE_SIZES)[number]
export const ORIENTATIONS = ['portrait', 'landscape'] as const
export type Orientation = (typeof ORIENTATIONS)[number]

export const IMAGE_KINDS = ['generated', 'uploaded'] as const
export const VERSION_KINDS = ['named', 'automatic', 'system'] as const
export const COLLABORATOR_ROLES = ['editor', 'viewer'] as const
export type CollaboratorRole = (typeof COLLABORATOR_ROLES)[number]
/** What the caller is to a project: its owner, or a collaborator in a role. */
export type ProjectRole = 'owner' | CollaboratorRole

export const AI_PROVIDERS = ['openai', 'anthropic', 'stability', 'replicate', 'google', 'custom'] as const
export const PLAN_IDS = ['free', 'pro', 'enterprise'] as const
export type PlanId = (typeof PLAN_IDS)[number]
/** Subscription statuses that give their plan; any other (canceled, unpaid, incomplete…) falls back to `free`. */
export const PAID_STATUSES = ['active', 'trialing', 'past_due'] as const

export const SYNC_ENTITIES = ['project', 'story', 'image', 'drawing', 'character', 'style', 'version'] as const
export type SyncEntity = (typeof SYNC_ENTITIES)[number]
export const CHANGE_OPS = ['create', 'update', 'delete'] as const
export type ChangeOp = (typeof CHANGE_OPS)[number]

export const EXPORT_FORMATS = ['pdf', 'json'] as const
export const EXPORT_STATUSES = ['queued', 'running', 'done', 'failed'] as const

export const STORY_TEXT_MAX = 50_000
/** All strokes of one drawing, as JSON. */
export const DRAWING_MAX_BYTES = 5 * 1024 * 1024
/** A trashed project is purged this long after it was trashed. */
export const TRASH_DAYS = 30
