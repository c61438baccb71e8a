import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { AI_PROVIDERS } from './domain.js'

export const AI_KEY_MIN_LENGTH = 16
export const AI_KEY_MAX_LENGTH = 4096
export const AI_KEY_LABEL_MAX = 100

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const Provider = Type.Enum(AI_PROVIDERS, { description: 'The AI provider the key is for' })
const Label = Type.String({ minLength: 1, maxLength: AI_KEY_LABEL_MAX, pattern: '\\S', description: `Your name for the key (1–${AI_KEY_LABEL_MAX} characters, not blank; stored trimmed)` })
/** The secret itself: refused (never trimmed) when it starts or ends with whitespace, so what is revealed is exactly what was sent. */
const Key = Type.String({
  minLength: AI_KEY_MIN_LENGTH,
  maxLength: AI_KEY_MAX_LENGTH,
  pattern: '^\\S[\\s\\S]*\\S$',
  description: `The provider's API key (${AI_KEY_MIN_LENGTH}–${AI_KEY_MAX_LENGTH} characters, no leading or trailing whitespace)`,
})

export const CreateAiKeyBody = Type.Object({ provider: Provider, label: Type.Optional(Label), key: Key }, { additionalProperties: false })
export const RevealBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024, description: 'Your account password, re-confirmed' }) }, { additionalProperties: false })
export const AiKeyListQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false })

export const AiKeyView = Type.Object(
  {
    id: Uuid,
    provider: Provider,
    label: nullable(Type.String({ maxLength: AI_KEY_LABEL_MAX }), 'Your name for the key, or null'),
    last4: Type.String({ maxLength: 4, description: 'The key’s last four characters, to tell keys apart' }),
    createdAt: Timestamp,
    lastRevealedAt: nullable(Timestamp, 'When the key was last revealed, or null if never'),
  },
  { title: 'ColorbookAiKey', description: 'A stored AI provider key, without the key' },
)
export const AiKeyPage = Page(AiKeyView, 'ColorbookAiKeyPage', 'Your keys, newest first, and the cursor of the next page')
export const RevealedKey = Type.Object({ key: Type.String({ maxLength: AI_KEY_MAX_LENGTH, description: 'The key, exactly as it was stored' }) }, { title: 'ColorbookRevealedAiKey', description: 'The key in clear' })
