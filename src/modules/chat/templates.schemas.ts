import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { MAX_TEXT_LENGTH, MAX_USERS_PER_REQUEST } from './domain.js'

/** Most templates one person keeps. */
export const MAX_TEMPLATES_PER_USER = 100

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'What you call the template' })

export const TemplateView = Type.Object(
  {
    id: Uuid,
    name: Type.String({ maxLength: 100 }),
    type: Type.Enum(['group', 'channel'] as const),
    title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    settings: Type.Object({ slowModeSeconds: Type.Integer({ format: 'int32', minimum: 0, maximum: 86_400 }), membersCanPost: Type.Boolean() }),
    welcomeMessage: Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()], { description: 'Posted by the creator as the first message of each chat made from it' }),
    createdAt: Timestamp,
  },
  { title: 'ChatTemplate', description: 'A saved chat shape' },
)
export type TemplateView = Static<typeof TemplateView>

export const TemplateList = Type.Object({ items: Type.Array(TemplateView, { maxItems: MAX_TEMPLATES_PER_USER }) }, { title: 'ChatTemplateList', description: 'Your templates, newest first' })

export const SaveTemplateBody = Type.Object(
  {
    name: Name,
    welcomeMessage: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type SaveTemplateBody = Static<typeof SaveTemplateBody>

export const UseTemplateBody = Type.Object(
  {
    participantIds: Type.Array(Uuid, { maxItems: MAX_USERS_PER_REQUEST, description: 'The people to add besides you' }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: "Instead of the template's title" })),
  },
  { additionalProperties: false },
)
export type UseTemplateBody = Static<typeof UseTemplateBody>
