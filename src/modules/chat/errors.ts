import type { ErrorSpec } from '../../core/errors/catalog.js'

/** The module's codes in the one catalog: stable, never renamed. */
export const chatErrors = {
  CHAT_NOT_FOUND: { status: 404, message: 'No such chat.' },
  CHAT_NOT_PARTICIPANT: { status: 403, message: 'Join the channel first.' },
  CHAT_POST_FORBIDDEN: { status: 403, message: 'Only the owner and admins may post in this channel.' },
  CHAT_ROLE_FORBIDDEN: { status: 403, message: 'Your role in this chat does not allow this.' },
  CHAT_ARCHIVED: { status: 409, message: 'The chat is archived and read-only.' },
  CHAT_SLOW_MODE: { status: 429, message: 'Slow mode is on: wait before posting again.' },
  CHAT_BLOCKED: { status: 403, message: 'This person cannot be reached.' },
  CHAT_BANNED: { status: 403, message: 'You are banned from this chat.' },
  CHAT_PRIVATE_MEMBERS: { status: 422, message: 'A private chat is exactly two people; it cannot gain or lose members.' },
  CHAT_ALREADY_MEMBER: { status: 409, message: 'Already in this chat.' },
  CHAT_USER_UNKNOWN: { status: 422, message: 'Some of these people have no account.' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No such message.' },
  MESSAGE_NOT_AUTHOR: { status: 403, message: 'Only the author may edit a message.' },
  MESSAGE_DELETED: { status: 410, message: 'The message was deleted.' },
  MESSAGE_EMPTY: { status: 400, message: 'A message needs text or files.' },
  MESSAGE_REFERENCE_INVALID: { status: 422, message: 'The message replied to, or the thread, is not in this chat.' },
  MESSAGE_FILE_INVALID: { status: 422, message: 'Some files are not yours or do not exist.' },
  SCHEDULED_MESSAGE_NOT_FOUND: { status: 404, message: 'No such scheduled message.' },
  INVITATION_NOT_FOUND: { status: 404, message: 'No such invitation.' },
  INVITATION_ANSWERED: { status: 409, message: 'The invitation was already answered.' },
  NOTIFICATION_NOT_FOUND: { status: 404, message: 'No such notification.' },
  PUSH_NOT_CONFIGURED: { status: 503, message: 'Web Push is not configured on this server (CHAT_VAPID_* settings).' },
} as const satisfies Record<string, ErrorSpec>
