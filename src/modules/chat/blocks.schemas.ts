import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { AuthorView } from './message.view.js'

export const UserIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const BlockView = Type.Object(
  {
    user: AuthorView,
    blockedAt: Timestamp,
  },
  { title: 'ChatBlock', description: 'Someone you blocked: they cannot open a private chat with you, nor add or invite you anywhere' },
)
export type BlockView = Static<typeof BlockView>

export const BlockPage = Page(BlockView, 'ChatBlockPage', 'The people you blocked, most recently blocked first, and the cursor of the next page')

export const BlockListQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false })
