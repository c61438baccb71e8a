import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { HexColor } from './characters.schemas.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })

export const BRAND_COLORS = ['primary', 'secondary', 'accent', 'text', 'background'] as const
export const BrandColors = Type.Object(Object.fromEntries(BRAND_COLORS.map((key) => [key, Type.Optional(HexColor)])) as Record<(typeof BRAND_COLORS)[number], Type.TOptional<typeof HexColor>>, {
  additionalProperties: false,
  description: 'Colours as #rrggbb (stored in lower case): primary, secondary, accent, text, background; each optional',
})
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'The name shown instead of ColorBook’s (1–100 characters)' })

export const BrandingBody = Type.Object(
  {
    name: Type.Optional(nullable(Name, 'Name, or null')),
    logoFileId: Type.Optional(nullable(Uuid, 'One of your image files (PNG, JPEG or WebP) as the logo, or null')),
    colors: Type.Optional(BrandColors),
  },
  { additionalProperties: false, description: 'The whole branding: omitted fields are cleared' },
)

export const BrandingView = Type.Object(
  {
    name: nullable(Type.String({ maxLength: 100 }), 'Name, or null'),
    logoFileId: nullable(Uuid, 'The logo (a core file), or null'),
    colors: BrandColors,
    active: Type.Boolean({ description: 'Whether your plan has white label, so exports and e-mails use this branding' }),
    updatedAt: nullable(Timestamp, 'When it was last set, or null if never'),
  },
  { title: 'ColorbookBranding', description: 'Your account’s white-label branding' },
)
