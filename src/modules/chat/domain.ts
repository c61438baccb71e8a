/** Chat's vocabulary, shared by the tables' checks, the schemas and the services. */
export const CHAT_TYPES = ['private', 'group', 'channel'] as const
export type ChatType = (typeof CHAT_TYPES)[number]

export const PARTICIPANT_ROLES = ['owner', 'admin', 'member'] as const
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number]

export const MESSAGE_TYPES = ['text', 'file', 'system', 'voice', 'video'] as const
export type MessageType = (typeof MESSAGE_TYPES)[number]

export const NOTIFICATION_LEVELS = ['all', 'mentions', 'none'] as const
export type NotificationLevel = (typeof NOTIFICATION_LEVELS)[number]

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined'] as const
export const REPORT_STATUSES = ['open', 'resolved', 'dismissed'] as const
/** What a user sets; `online`/`offline` come from their sockets. */
export const PRESENCE_STATUSES = ['away', 'busy'] as const

/** Longest message text, in characters (the table checks it too). */
export const MAX_TEXT_LENGTH = 10_000
/** Most files on one message. */
export const MAX_FILES_PER_MESSAGE = 10
/** Most waveform samples a voice message keeps. */
export const MAX_WAVEFORM_SAMPLES = 256
/** Most people one message mentions (later names are plain text). */
export const MAX_MENTIONS = 50
/** An emoji reaction: one emoji, perhaps with modifiers and joiners, or a short :name:. */
export const MAX_EMOJI_LENGTH = 64
/** Most kinds of reaction a message shows (its views list the first ones). */
export const MAX_REACTION_KINDS = 50
/** Most people added, invited or named at once. */
export const MAX_USERS_PER_REQUEST = 100

/** The rank of a role: an actor may manage only roles below their own. */
export const ROLE_RANK: Record<ParticipantRole, number> = { owner: 3, admin: 2, member: 1 }

/** Owners and admins moderate: edit the chat, remove members and others' messages, pin. */
export const isModerator = (role: ParticipantRole): boolean => role === 'owner' || role === 'admin'

/** The private chat key of two users: sorted ids, so (a, b) and (b, a) are the same chat. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`)
