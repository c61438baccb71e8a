import type { UserDirectory } from '../../core/users/directory.js'
import { MAX_MENTIONS } from './domain.js'

/**
 * `@name` where a username may start: not inside a word or an e-mail address (`ada@example.test`
 * mentions no one). Usernames are 3–32 of `A-Z a-z 0-9 _ . -` (src/core/auth/auth.schemas.ts).
 */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{3,32})/gu
/**
 * The usernames a text mentions, lower-cased, each once. A sentence's trailing dot or hyphen
 * ("thanks @ada.") is not part of the name; both spellings are tried, the longer first.
 */
export function mentionedUsernames(text: string | null | undefined): string[] {
  if (!text) return []
  const names = new Set<string>()
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!.toLowerCase()
    names.add(name)
    const trimmed = name.replace(/[.-]+$/, '')
    if (trimmed !== name && trimmed.length >= 3) names.add(trimmed)
    if (names.size >= MAX_MENTIONS) break
  }
  return [...names]
}

/**
 * The participants a text mentions, by id: `@username` resolved through the directory, kept only
 * for people in the chat (`participantIds`), never the author.
 */
export async function resolveMentions(users: UserDirectory, text: string | null | undefined, participantIds: ReadonlySet<string>, authorId: string | null): Promise<string[]> {
  const names = mentionedUsernames(text)
  if (names.length === 0) return []
  const found = await users.byUsernames(names)
  const ids = new Set<string>()
  for (const name of names) {
    const id = found.get(name)?.id
    if (id && id !== authorId && participantIds.has(id)) ids.add(id)
  }
  return [...ids]
}
