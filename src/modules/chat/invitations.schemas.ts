import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import type { UserProfile } from '../../core/users/directory.js'
import type { ChatRow, InvitationRow } from './db/schema.js'
import { CHAT_TYPES, INVITATION_STATUSES, MAX_USERS_PER_REQUEST } from './domain.js'
import { AuthorView } from './message.view.js'

/** An invitation as its invitee (and the inviter) sees it: the chat is named, since the invitee cannot open it yet. */
export const InvitationView = Type.Object(
  {
    id: Uuid,
    chat: Type.Object({ id: Uuid, type: Type.Enum(CHAT_TYPES), title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]) }),
    userId: Uuid,
    invitedBy: Type.Union([AuthorView, Type.Null()], { description: 'Null when the inviter\'s account is gone' }),
    status: Type.Enum(INVITATION_STATUSES),
    createdAt: Timestamp,
    respondedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'ChatInvitation', description: 'An invitation to a chat' },
)
export type InvitationView = Static<typeof InvitationView>

export const InvitationPage = Page(InvitationView, 'ChatInvitationPage', 'A page of your pending invitations, newest first, and the cursor of the next')

export const InviteBody = Type.Object(
  { userIds: Type.Array(Uuid, { minItems: 1, maxItems: MAX_USERS_PER_REQUEST, description: `At most ${MAX_USERS_PER_REQUEST}; repeats count once` }) },
  { additionalProperties: false },
)

export const CreatedInvitations = Type.Object(
  { items: Type.Array(InvitationView, { maxItems: MAX_USERS_PER_REQUEST, description: 'The invitations stored now; people already in the chat, or already invited, are left out' }) },
  { title: 'ChatInvitationsCreated', description: 'The invitations made (201), or none because all were in or invited already (200)' },
)

export const InvitationListQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false })
export const InvitationIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

const deleted = (id: string): UserProfile => ({ id, username: null, name: 'Deleted user', avatarUrl: null, deleted: true })

export function toInvitationView(invitation: InvitationRow, chat: ChatRow, profiles: ReadonlyMap<string, UserProfile>): InvitationView {
  const inviter = invitation.invitedBy ? (profiles.get(invitation.invitedBy) ?? deleted(invitation.invitedBy)) : null
  return {
    id: invitation.id,
    chat: { id: chat.id, type: chat.type, title: chat.title },
    userId: invitation.userId,
    invitedBy: inviter ? { id: inviter.id, username: inviter.username, name: inviter.name, avatarUrl: inviter.avatarUrl, deleted: inviter.deleted } : null,
    status: invitation.status,
    createdAt: invitation.createdAt.toISOString(),
    respondedAt: invitation.respondedAt?.toISOString() ?? null,
  }
}
