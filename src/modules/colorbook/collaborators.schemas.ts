import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { MAX_SHARES } from './collaborators.service.js'
import { COLLABORATOR_ROLES } from './domain.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const Role = Type.Enum(COLLABORATOR_ROLES, { description: 'editor (reads and edits the content) or viewer (reads)' })

export const CollaboratorParams = Type.Object({ id: Uuid, userId: Uuid }, { additionalProperties: false })
export const InvitationParams = Type.Object({ id: Uuid, shareId: Uuid }, { additionalProperties: false })
export const ShareBody = Type.Object(
  { email: Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'Their e-mail address (any case)' }), role: Role },
  { additionalProperties: false },
)
export const RoleBody = Type.Object({ role: Role }, { additionalProperties: false })

export const CollaboratorView = Type.Object(
  {
    userId: Uuid,
    role: Role,
    name: Type.String({ maxLength: 200, description: 'Their name' }),
    username: nullable(Type.String({ maxLength: 100 }), 'Their username, or null'),
    avatarUrl: nullable(Type.String({ maxLength: 2048 }), 'Their avatar, or null'),
    invitedBy: nullable(Uuid, 'Who shared it with them'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'ColorbookCollaborator', description: 'Someone the project is shared with' },
)
export const PendingShareView = Type.Object(
  {
    id: Uuid,
    email: Type.String({ maxLength: 254, description: 'The address invited (lower case)' }),
    role: Role,
    invitedBy: nullable(Uuid, 'Who invited them'),
    createdAt: Timestamp,
  },
  { title: 'ColorbookPendingShare', description: 'An invitation waiting for that address to sign up and verify' },
)
export const CollaboratorList = Type.Object(
  {
    items: Type.Array(CollaboratorView, { maxItems: MAX_SHARES, description: 'Everyone the project is shared with, first shared first' }),
    pending: Type.Array(PendingShareView, { maxItems: MAX_SHARES, description: 'Invitations not taken up yet (the owner’s view only; empty for collaborators)' }),
  },
  { title: 'ColorbookCollaboratorList', description: 'Who the project is shared with' },
)
export const Added = Type.Object(
  { status: Type.Literal('added', { description: 'The address has an account: shared at once' }), collaborator: CollaboratorView },
  { title: 'ColorbookShareAdded', description: 'Shared with an account' },
)
export const Invited = Type.Object(
  { status: Type.Literal('invited', { description: 'No account has the address: an invitation was e-mailed' }), pending: PendingShareView },
  { title: 'ColorbookShareInvited', description: 'An invitation, applied when the address signs up and verifies' },
)
