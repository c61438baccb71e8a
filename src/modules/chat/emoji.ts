import { AppError } from '../../core/errors/app-error.js'
import { MAX_EMOJI_LENGTH } from './domain.js'

/** One emoji of Unicode's recommended set (RGI): skin tones, ZWJ sequences, flags and keycaps included. */
const SINGLE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v')
/** A custom or named emoji, as Slack and Mattermost write it: `:thumbsup:`, `:+1:`, `:party_parrot:`. */
const SHORT_NAME = /^:[a-z0-9_+-]{1,62}:$/

/**
 * A reaction's emoji, as stored: exactly one emoji (NFC-normalised) or a `:short_name:`, at most
 * MAX_EMOJI_LENGTH characters. Anything else is 400 REACTION_EMOJI_INVALID (never guessed or trimmed).
 */
export function reactionEmoji(input: string): string {
  const emoji = input.normalize('NFC')
  if (emoji.length === 0 || emoji.length > MAX_EMOJI_LENGTH || !(SINGLE_EMOJI.test(emoji) || SHORT_NAME.test(emoji))) {
    throw new AppError('REACTION_EMOJI_INVALID', undefined, { emoji: 'one emoji, or a :short_name: of a-z, 0-9, _, + and -' })
  }
  return emoji
}
