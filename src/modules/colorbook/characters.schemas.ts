import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { VersionField } from '../../core/http/resource/resource-routes.shared.js'
import type { CharacterRow, StylePresetRow } from './characters.repository.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description })
const Version = Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Optimistic-concurrency version (also the ETag)' })
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Name (1–200 characters, not blank)' })
const CharacterDescription = Type.String({ maxLength: 5000, description: 'What the character looks like (at most 5,000 characters)' })
export const MAX_REFERENCE_FILES = 20
const ReferenceFileIds = Type.Array(Uuid, { maxItems: MAX_REFERENCE_FILES, description: 'Reference images (core files; new ones must be yours), at most 20' })
const PromptFragment = Type.String({ maxLength: 2000, description: 'Text added to prompts for this style (at most 2,000 characters)' })
/** `#rrggbb`, the one colour form the module stores. */
export const HexColor = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', minLength: 7, maxLength: 7, description: 'A colour as #rrggbb' })
const Palette = Type.Array(HexColor, { maxItems: 32, description: 'The palette, at most 32 colours as #rrggbb' })
const LineWeight = Type.Number({ exclusiveMinimum: 0, maximum: 50, description: 'Line weight in points (over 0, at most 50)' })

const characterFields = { description: Type.Optional(nullable(CharacterDescription, 'Description, or null')), referenceFileIds: Type.Optional(ReferenceFileIds) }
export const CreateCharacterBody = Type.Object({ name: Name, ...characterFields }, { additionalProperties: false })
export const ReplaceCharacterBody = Type.Object({ name: Name, ...characterFields, version: VersionField }, { additionalProperties: false })
/** A sync update's fields to change (merged onto the current ones, then replaced). */
export const CharacterChanges = Type.Object({ name: Type.Optional(Name), ...characterFields }, { additionalProperties: false })

const styleFields = { promptFragment: Type.Optional(nullable(PromptFragment, 'Prompt fragment, or null')), palette: Type.Optional(Palette), lineWeight: Type.Optional(nullable(LineWeight, 'Line weight, or null')) }
export const CreateStyleBody = Type.Object({ name: Name, ...styleFields }, { additionalProperties: false })
export const ReplaceStyleBody = Type.Object({ name: Name, ...styleFields, version: VersionField }, { additionalProperties: false })
export const StyleChanges = Type.Object({ name: Type.Optional(Name), ...styleFields }, { additionalProperties: false })

const common = { id: Uuid, projectId: Uuid, version: Version, createdAt: Timestamp, updatedAt: Timestamp }

export const CharacterView = Type.Object(
  { ...common, name: Type.String({ maxLength: 200, description: 'Name' }), description: nullable(CharacterDescription, 'Description, or null'), referenceFileIds: ReferenceFileIds },
  { title: 'ColorbookCharacter', description: 'A named character of a project, with reference images' },
)
export const StyleView = Type.Object(
  { ...common, name: Type.String({ maxLength: 200, description: 'Name' }), promptFragment: nullable(PromptFragment, 'Prompt fragment, or null'), palette: Palette, lineWeight: nullable(LineWeight, 'Line weight, or null') },
  { title: 'ColorbookStylePreset', description: 'A style preset of a project: what images record having used' },
)
export const CharacterList = Type.Object({ items: Type.Array(CharacterView, { maxItems: 1000, description: 'In creation order' }) }, { title: 'ColorbookCharacterList', description: 'The project’s characters' })
export const StyleList = Type.Object({ items: Type.Array(StyleView, { maxItems: 1000, description: 'In creation order' }) }, { title: 'ColorbookStylePresetList', description: 'The project’s style presets' })

const times = (row: { createdAt: Date; updatedAt: Date }) => ({ createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() })
export const toCharacterView = (row: CharacterRow) => ({ id: row.id, projectId: row.projectId, name: row.name, description: row.description, referenceFileIds: row.referenceFileIds, version: row.version, ...times(row) })
export const toStyleView = (row: StylePresetRow) => ({ id: row.id, projectId: row.projectId, name: row.name, promptFragment: row.promptFragment, palette: row.palette, lineWeight: row.lineWeight, version: row.version, ...times(row) })
