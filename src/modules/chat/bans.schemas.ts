import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import type { UserProfile } from '../../core/users/directory.js'
import type { BanRow } from './bans.repository.js'
import { AuthorView } from './message.view.js'

export const BanView = Type.Object(
  {
    chatId: Uuid,
    userId: Uuid,
    user: AuthorView,
    until: Type.Union([Timestamp, Type.Null()], { description: 'When the ban ends; null: for good' }),
    bannedBy: Type.Union([Uuid, Type.Null()], { description: 'Who banned them (null once that account is gone)' }),
    createdAt: { ...Timestamp, description: 'When they were banned (or banned again)' },
  },
  { title: 'ChatBan', description: 'Someone kept out of the chat: they cannot join, be added, be invited, accept an invitation, or read it (a channel)' },
)
export type BanView = Static<typeof BanView>

export const BanPage = Page(BanView, 'ChatBanPage', 'The bans in force, most recent first, and the cursor of the next page')

export const BanBody = Type.Object(
  {
    userId: Uuid,
    until: Type.Optional({ ...Timestamp, description: 'When the ban ends (in the future); left out: for good' }),
  },
  { additionalProperties: false },
)
export type BanBody = Static<typeof BanBody>

export const BanParams = Type.Object({ id: Uuid, userId: Uuid }, { additionalProperties: false })
export const BanListQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false })

const deletedUser = (id: string): UserProfile => ({ id, username: null, name: 'Deleted user', avatarUrl: null, deleted: true })

export function toBanView(row: BanRow, profiles: ReadonlyMap<string, UserProfile>): BanView {
  const p = profiles.get(row.userId) ?? deletedUser(row.userId)
  return {
    chatId: row.chatId,
    userId: row.userId,
    user: { id: p.id, username: p.username, name: p.name, avatarUrl: p.avatarUrl, deleted: p.deleted },
    until: row.until?.toISOString() ?? null,
    bannedBy: row.bannedBy,
    createdAt: row.createdAt.toISOString(),
  }
}
