import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import { StrokesJson, toDrawingViewOf, toImageView, toStoryView, type StrokesValue } from './child.view.js'
import type { ChildKindOf, ChildRow, createReferencesRepository, DrawingFieldsRow, DrawingJsonValues } from './children.repository.js'
import type { Stroke } from './db/schema.js'
import { DRAWING_MAX_BYTES } from './domain.js'

export interface StoryInput {
  title?: string | null
  text?: string
  position?: number
}
export interface ImageInput {
  fileId?: string
  kind?: 'generated' | 'uploaded'
  storyId?: string | null
  prompt?: string | null
  provider?: string | null
  model?: string | null
  width?: number | null
  height?: number | null
  styleId?: string | null
  characterIds?: string[]
  position?: number
}
export interface DrawingInput {
  title?: string | null
  strokes?: Stroke[]
  position?: number
}
interface Inputs {
  story: StoryInput
  image: ImageInput
  drawing: DrawingInput
}
export type ChildInput<K extends ChildKindOf> = Inputs[K]
/** Column values ready to store (a drawing's strokes as their JSON text). */
export type Prepared<K extends ChildKindOf> = K extends 'drawing' ? Partial<DrawingJsonValues> : Partial<ChildRow<K>>
/** What a write reads of the current row: a drawing without its strokes. */
export type CurrentRow<K extends ChildKindOf> = K extends 'drawing' ? DrawingFieldsRow : ChildRow<K>
/** What a view is made from: a drawing's strokes parsed or as JSON text. */
export type ViewRow<K extends ChildKindOf> = K extends 'drawing' ? DrawingFieldsRow & { strokes: StrokesValue } : ChildRow<K>

interface PrepareContext<K extends ChildKindOf> {
  actor: Actor
  projectId: string
  current: CurrentRow<K> | undefined
  files: Pick<FilesApi, 'find'>
  references: ReturnType<typeof createReferencesRepository>
}

export interface ChildSpec<K extends ChildKindOf> {
  noun: string
  /** What PUT resets omitted fields to (and what a create starts from). */
  defaults: ChildInput<K>
  view(row: ViewRow<K>): unknown
  prepare(input: ChildInput<K>, ctx: PrepareContext<K>): Promise<Prepared<K>>
}

const trimmedOrNull = (value: string | null | undefined) => (value === undefined ? undefined : value === null ? null : value.trim() || null)
const defined = <T extends object>(values: T): Partial<T> => Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>

const story: ChildSpec<'story'> = {
  noun: 'Story',
  defaults: { title: null, text: '' },
  view: toStoryView,
  prepare: async (input) => defined({ title: trimmedOrNull(input.title), text: input.text }),
}

const image: ChildSpec<'image'> = {
  noun: 'Image',
  defaults: { kind: 'uploaded', storyId: null, prompt: null, provider: null, model: null, width: null, height: null, styleId: null, characterIds: [] },
  view: toImageView,
  prepare: async (input, { actor, projectId, current, files, references }) => {
    if (input.fileId !== undefined && input.fileId !== current?.fileId) {
      const file = await files.find(input.fileId)
      if (file?.ownerId !== actor.id) throw new AppError('COLORBOOK_FILE_INVALID', undefined, { fileId: input.fileId })
    }
    const refused: Record<string, unknown> = {}
    if (input.storyId && !(await references.inProject('story', projectId, [input.storyId])).has(input.storyId)) refused.storyId = input.storyId
    if (input.styleId && !(await references.inProject('style', projectId, [input.styleId])).has(input.styleId)) refused.styleId = input.styleId
    const characterIds = input.characterIds === undefined ? undefined : [...new Set(input.characterIds)]
    if (characterIds?.length) {
      const found = await references.inProject('character', projectId, characterIds)
      const unknown = characterIds.filter((id) => !found.has(id))
      if (unknown.length > 0) refused.characterIds = unknown
    }
    if (Object.keys(refused).length > 0) throw new AppError('COLORBOOK_REFERENCE_INVALID', undefined, refused)
    return defined({
      fileId: input.fileId,
      kind: input.kind,
      storyId: input.storyId,
      prompt: input.prompt,
      provider: trimmedOrNull(input.provider),
      model: trimmedOrNull(input.model),
      width: input.width,
      height: input.height,
      styleId: input.styleId,
      characterIds,
    })
  },
}

const drawing: ChildSpec<'drawing'> = {
  noun: 'Drawing',
  defaults: { title: null, strokes: [] },
  view: toDrawingViewOf,
  prepare: async (input) => {
    let strokes: StrokesJson | undefined
    let byteSize: number | undefined
    if (input.strokes !== undefined) {
      // Serialised once: the size, the value stored (as it is) and the answer's strokes.
      strokes = new StrokesJson(JSON.stringify(input.strokes))
      byteSize = Buffer.byteLength(strokes.json)
      if (byteSize > DRAWING_MAX_BYTES) throw new AppError('COLORBOOK_DRAWING_TOO_LARGE', undefined, { byteSize, maxBytes: DRAWING_MAX_BYTES })
    }
    return defined({ title: trimmedOrNull(input.title), strokes, byteSize })
  },
}

export const childSpecs: { [K in ChildKindOf]: ChildSpec<K> } = { story, image, drawing }

/**
 * A child as the live room's events carry it: its view, except that a drawing leaves out its strokes.
 * They reach 5 MiB, more than a room's replay window holds (one such event would push every other out
 * of it), and serialising them for each write would cost more than the write; `version` and
 * `byteSize` tell a device whether to GET the drawing.
 */
export function eventView(kind: keyof typeof childSpecs, row: unknown): Record<string, unknown> {
  const view = childSpecs[kind].view(row as never) as Record<string, unknown>
  if (kind !== 'drawing') return view
  const { strokes: _strokes, ...withoutStrokes } = view
  return withoutStrokes
}
