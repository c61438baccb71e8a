import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import type { UserProfile } from '../../core/users/directory.js'
import type { ParticipantRow } from './db/schema.js'
import { MAX_USERS_PER_REQUEST, PARTICIPANT_ROLES } from './domain.js'
import { AuthorView } from './message.view.js'

/** One person in a chat, as everyone who may see the chat sees them (also the `participant.*` events' data). */
export const ParticipantView = Type.Object(
  {
    chatId: Uuid,
    userId: Uuid,
    user: AuthorView,
    role: Type.Enum(PARTICIPANT_ROLES),
    joinedAt: Timestamp,
    lastReadSeq: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'How far they have read (read receipts)' }),
  },
  { title: 'ChatParticipant' },
)
export type ParticipantView = Static<typeof ParticipantView>

export const ParticipantPage = Page(ParticipantView, 'ChatParticipantPage', 'A page of participants, longest in the chat first, and the cursor of the next')

export const ChatIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })
export const ParticipantParams = Type.Object({ id: Uuid, userId: Uuid }, { additionalProperties: false })

export const ParticipantListQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false })

const UserIds = Type.Array(Uuid, { minItems: 1, maxItems: MAX_USERS_PER_REQUEST, description: `At most ${MAX_USERS_PER_REQUEST}; repeats count once` })

export const AddParticipantsBody = Type.Object(
  {
    userIds: UserIds,
    role: Type.Optional(Type.Enum(['admin', 'member'] as const, { default: 'member', description: 'Only the owner may add admins' })),
  },
  { additionalProperties: false },
)

export const AddedParticipants = Type.Object(
  { items: Type.Array(ParticipantView, { maxItems: MAX_USERS_PER_REQUEST, description: 'Those added now; people already in the chat are left out' }) },
  { title: 'ChatParticipantsAdded', description: 'Who was added (201), or nobody new because all were already in (200)' },
)

export const UpdateParticipantBody = Type.Object(
  { role: Type.Enum(PARTICIPANT_ROLES, { description: '`owner` transfers the ownership (the owner only): the caller becomes an admin' }) },
  { additionalProperties: false },
)

export const UpdatedParticipants = Type.Object(
  { items: Type.Array(ParticipantView, { maxItems: 2, description: 'The participant changed, and on a transfer of ownership the former owner too' }) },
  { title: 'ChatParticipantsUpdated', description: 'The participants whose role changed' },
)

const deletedProfile = (id: string): UserProfile => ({ id, username: null, name: 'Deleted user', avatarUrl: null, deleted: true })

export function toParticipantView(row: ParticipantRow, profiles: ReadonlyMap<string, UserProfile>): ParticipantView {
  const profile = profiles.get(row.userId) ?? deletedProfile(row.userId)
  return {
    chatId: row.chatId,
    userId: row.userId,
    user: { id: profile.id, username: profile.username, name: profile.name, avatarUrl: profile.avatarUrl, deleted: profile.deleted },
    role: row.role,
    joinedAt: row.joinedAt.toISOString(),
    lastReadSeq: row.lastReadSeq,
  }
}
