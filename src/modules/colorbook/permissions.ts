import type { Actor } from '../../core/access/actor.js'
import type { PermissionDef, PermissionRegistry } from '../../core/access/permissions.js'

/** Making colouring books: every signed-in role. What one may do to a project is its owner's or collaborator role's. */
export const COLORBOOK_USE = 'colorbook:use'
/** The usage dashboard (GET /api/admin/analytics). */
export const COLORBOOK_ANALYTICS = 'colorbook:analytics'
/** Changing, hiding and deleting anyone's templates (the marketplace's moderators). */
export const COLORBOOK_TEMPLATES_MODERATE = 'colorbook:templates:moderate'
/** Plans' limits and users' plans by hand (PUT /api/admin/plans/:plan, PUT /api/admin/users/:id/plan). */
export const COLORBOOK_PLANS = 'colorbook:plans'

export const colorbookPermissions: PermissionDef[] = [
  { key: COLORBOOK_USE, description: 'Use ColorBook: your projects and those shared with you, their stories, images and drawings', roles: ['admin', 'worker', 'user'] },
  { key: COLORBOOK_ANALYTICS, description: 'See ColorBook’s usage analytics: active users, events, projects, templates, plans', roles: ['admin'] },
  { key: COLORBOOK_PLANS, description: 'Edit ColorBook plans’ limits and set users’ plans by hand', roles: ['admin'] },
  { key: COLORBOOK_TEMPLATES_MODERATE, description: 'Moderate the ColorBook template marketplace: change, hide or delete anyone’s template', roles: ['admin'] },
]

export type ColorbookPermission = typeof COLORBOOK_USE | typeof COLORBOOK_ANALYTICS | typeof COLORBOOK_TEMPLATES_MODERATE | typeof COLORBOOK_PLANS

/** The platform-level check every public service method makes first (API keys need the scope too). */
export class ColorbookPermissions {
  constructor(private readonly registry: PermissionRegistry) {
    for (const { key } of colorbookPermissions) registry.assertKnown(key)
  }

  require(actor: Pick<Actor, 'role' | 'apiKey'>, key: ColorbookPermission = COLORBOOK_USE): void {
    this.registry.require(actor, key)
  }
}
