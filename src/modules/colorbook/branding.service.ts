import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import type { BrandingRow } from './branding.repository.js'
import { type BRAND_COLORS } from './branding.schemas.js'
import type { ColorbookStore } from './store.js'

export interface BrandingInput {
  name?: string | null
  logoFileId?: string | null
  colors?: Partial<Record<(typeof BRAND_COLORS)[number], string>>
}

/** What exports and e-mails apply: set only while the owner's plan has white label. */
export interface AppliedBranding {
  name: string | null
  logoFileId: string | null
  colors: Partial<Record<(typeof BRAND_COLORS)[number], string>>
}

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp']

/**
 * An account's white-label branding (name, logo, colours). Anyone may read theirs; setting it needs
 * a plan with `whiteLabel` (enterprise), else 402 PLAN_LIMIT_REACHED. After a downgrade it stays
 * stored but is no longer applied (`active: false`, `applied` null).
 */
export class BrandingService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly files: Pick<FilesApi, 'find'>,
  ) {}

  async get(actor: Actor) {
    this.access.permit(actor)
    const [row, plan] = await Promise.all([this.store.repos.branding.of(actor.id), this.store.repos.plans.planOf(actor.id)])
    return toBrandingView(row, plan.whiteLabel)
  }

  async put(actor: Actor, input: BrandingInput) {
    this.access.permit(actor)
    const plan = await this.store.repos.plans.planOf(actor.id)
    if (!plan.whiteLabel) throw new AppError('PLAN_LIMIT_REACHED', `The ${plan.name} plan does not include white-label branding.`, { limit: 'whiteLabel', plan: plan.id })
    const logoFileId = input.logoFileId ?? null
    if (logoFileId !== null) {
      const file = await this.files.find(logoFileId)
      if (file?.ownerId !== actor.id || !LOGO_TYPES.includes(file.contentType)) throw new AppError('COLORBOOK_FILE_INVALID', 'The logo must be one of your PNG, JPEG or WebP files.', { logoFileId })
    }
    const colors = Object.fromEntries(Object.entries(input.colors ?? {}).map(([key, value]) => [key, value.toLowerCase()]))
    const row = await this.store.repos.branding.put(actor.id, { name: input.name?.trim() ?? null, logoFileId, colors }, new Date())
    return toBrandingView(row, true)
  }

  /** For PDF exports and collaborators' e-mails: the owner's branding when their plan has white label, else null. */
  async applied(ownerId: string): Promise<AppliedBranding | null> {
    const [row, plan] = await Promise.all([this.store.repos.branding.of(ownerId), this.store.repos.plans.planOf(ownerId)])
    if (!plan.whiteLabel || !row) return null
    return { name: row.name, logoFileId: row.logoFileId, colors: row.colors }
  }
}

function toBrandingView(row: BrandingRow | undefined, active: boolean) {
  return { name: row?.name ?? null, logoFileId: row?.logoFileId ?? null, colors: row?.colors ?? {}, active, updatedAt: row?.updatedAt.toISOString() ?? null }
}
