import { beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../core/errors/app-error.js'
import { registerErrorCodes } from '../../core/errors/catalog.js'
import { chatErrors } from './errors.js'
import { reactionEmoji } from './emoji.js'

describe('reactionEmoji', () => {
  beforeAll(() => {
    // As the app does when it loads the module (once per process).
    registerErrorCodes(chatErrors)
  })

  it('accepts exactly one emoji, modifiers and sequences included, and :short_names:', () => {
    for (const emoji of ['👍', '👍🏿', '❤️', '👩‍💻', '🏳️‍🌈', '🇯🇵', '#️⃣', ':+1:', ':party_parrot:', ':a-b_c+1:']) expect(reactionEmoji(emoji)).toBe(emoji)
  })

  it('refuses text, two emoji, padding, capitals, empty and over-long names', () => {
    for (const input of ['', 'a', '1', '#', 'ok', '👍👍', '👍 ', ' 👍', '👍a', ':Smile:', '::', ':a b:', ':x', 'x:', ':é:', `:${'a'.repeat(63)}:`, '\u200d', '\ufe0f']) {
      expect(() => reactionEmoji(input), JSON.stringify(input)).toThrow(AppError)
    }
    try {
      reactionEmoji('nope')
    } catch (error) {
      expect(error).toMatchObject({ code: 'REACTION_EMOJI_INVALID', details: { emoji: expect.any(String) } })
    }
  })
})
