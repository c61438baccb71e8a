import Type, { type TSchema } from 'typebox'
import { AI_PROVIDERS } from './domain.js'

/** What the services record (UsageService.record): never accepted from clients. */
export const SERVER_USAGE_TYPES = [
  'project.created',
  'project.duplicated',
  'project.imported',
  'template.published',
  'template.used',
  'export.created',
  'export.completed',
  'collaborator.added',
  'version.created',
  'plan.upgraded',
  'plan.downgraded',
] as const
export type ServerUsageType = (typeof SERVER_USAGE_TYPES)[number]

const Short = (description: string, maxLength = 100) => Type.String({ minLength: 1, maxLength, description })
const Platform = Type.Enum(['web', 'ios', 'android', 'desktop'], { description: 'Where the app runs' })
const none = Type.Object({}, { additionalProperties: false })

/**
 * What happens on the device and clients report (POST /api/analytics/events), each type with the
 * only metadata it may carry. The AI call itself goes from the device to the provider, never through us.
 */
export const CLIENT_USAGE_TYPES = {
  'image.generated': Type.Object({ provider: Type.Enum(AI_PROVIDERS, { description: 'The AI provider called' }), model: Short('The model') }, { additionalProperties: false }),
  'image.uploaded': none,
  'drawing.saved': none,
  'project.opened': none,
  'page.printed': Type.Object({ pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }, { additionalProperties: false }),
  'app.opened': Type.Object({ platform: Type.Optional(Platform), appVersion: Type.Optional(Short('The app’s version', 40)) }, { additionalProperties: false }),
} as const satisfies Record<string, TSchema>
export type ClientUsageType = keyof typeof CLIENT_USAGE_TYPES
export const CLIENT_USAGE_TYPE_NAMES = Object.keys(CLIENT_USAGE_TYPES) as ClientUsageType[]

export const USAGE_ENTITY_TYPES = ['project', 'story', 'image', 'drawing', 'template', 'export'] as const
export type UsageEntityType = (typeof USAGE_ENTITY_TYPES)[number]

/** Reserved usage_daily types holding the distinct users active in a day, an ISO week (Monday) or a month (its first day). */
export const ACTIVE_TYPES = { day: 'active:day', week: 'active:week', month: 'active:month' } as const
