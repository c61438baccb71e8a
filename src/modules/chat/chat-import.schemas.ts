import Type, { type Static, type TSchema } from 'typebox'
import { Uuid } from '../../core/http/schemas.js'
import { ChatExport, ExportIntegrity } from './chat-export.js'
import { ChatView } from './chat.view.js'

/**
 * The schema with every object closed (`additionalProperties: false`) unless it is a record: the
 * export's views are open for responses, but an imported document is input, and an unknown field
 * in it is refused, never ignored.
 */
function closed<T extends TSchema>(schema: T): T {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close)
    if (node === null || typeof node !== 'object') return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, close(v)])) : close(value)
    if ('properties' in out && !('additionalProperties' in out) && !('patternProperties' in out)) out.additionalProperties = false
    return out
  }
  return close(schema) as T
}

// A missing `integrity` is the service's 400 CHAT_IMPORT_INVALID (like a wrong one), not a validation error.
export const ImportChatBody = closed(Type.Object({ ...ChatExport.properties, integrity: Type.Optional(ExportIntegrity) }, { description: 'A chat export exactly as GET /api/chats/{id}/export wrote it (byte for byte: its MAC covers the raw bytes)' }))
export type ImportChatBody = Static<typeof ImportChatBody>

export const SKIP_REASONS = ['deleted', 'disabled', 'blocked'] as const

export const ImportSummary = Type.Object(
  {
    messages: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Messages restored (system messages and tombstones included)' }),
    participants: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'People in the new chat, you included' }),
    skippedParticipants: Type.Array(
      Type.Object({ userId: Uuid, reason: Type.Enum(SKIP_REASONS, { description: '`deleted` or `disabled` account, or `blocked`: they blocked you' }) }, { title: 'ChatImportSkipped' }),
      { maxItems: 1_000_000, description: 'Participants of the export left out; their messages stay' },
    ),
    skippedFiles: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Attachments left out because their file no longer exists' }),
    pins: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Pins restored' }),
  },
  { title: 'ChatImportSummary' },
)
export type ImportSummary = Static<typeof ImportSummary>

export const ImportedChat = Type.Object({ chat: ChatView, summary: ImportSummary }, { title: 'ChatImported', description: 'The new chat, as GET /api/chats/{id} shows it to you, and what was restored' })
export type ImportedChat = Static<typeof ImportedChat>
