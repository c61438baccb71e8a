import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import type { Stroke } from './db/schema.js'
import { DRAWING_MAX_BYTES } from './domain.js'
import type { ExportDocumentData } from './export-document.js'
import { checkProjectLimit } from './plan-limits.js'
import { toProjectView, type ProjectViewData } from './project.view.js'
import type { ColorbookStore } from './store.js'
import type { UsageService } from './usage.service.js'

/**
 * POST /api/projects/import: a JSON export back as a new project of the caller's, in one
 * transaction, counted against their plan. Every reference must resolve inside the document and
 * every file must be one the caller may read, or nothing is stored.
 */
export class ImportService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly files: Pick<FilesApi, 'find'>,
    private readonly usage: UsageService,
  ) {}

  async importProject(actor: Actor, doc: ExportDocumentData): Promise<ProjectViewData> {
    this.access.permit(actor)
    checkReferences(doc)
    await this.checkFiles(actor, doc)
    const now = new Date()
    const fresh = () => ({ id: newId(), version: 1, createdAt: now, updatedAt: now })
    const ids = new Map<string, string>()
    const mapped = (id: string | null) => (id === null ? null : ids.get(id)!)
    const row = await this.store.transaction(async (repos) => {
      await checkProjectLimit(repos, actor.id)
      const { project: p } = doc
      const project = await repos.projects.insert({
        id: newId(),
        ownerId: actor.id,
        title: p.title.trim(),
        description: p.description?.trim() || null,
        tags: [...new Set(p.tags.map((t) => t.trim()).filter((t) => t.length > 0))],
        pageSize: p.pageFormat.size,
        pageOrientation: p.pageFormat.orientation,
        settings: p.settings,
        coverFileId: p.coverFileId,
      })
      const projectId = project.id
      const remember = <T extends { id: string }>(source: T) => {
        const next = fresh()
        ids.set(source.id, next.id)
        return next
      }
      const stories = await repos.story.insertMany(doc.stories.map((s, position) => ({ ...remember(s), projectId, position, title: s.title, text: s.text })))
      const styles = doc.styles.map((s) => ({ ...remember(s), projectId, name: s.name, promptFragment: s.promptFragment, palette: s.palette, lineWeight: s.lineWeight }))
      await repos.exports.insertStyles(styles)
      const characters = doc.characters.map((c) => ({ ...remember(c), projectId, name: c.name, description: c.description, referenceFileIds: c.referenceFileIds }))
      await repos.exports.insertCharacters(characters)
      const images = await repos.image.insertMany(
        doc.images.map((i, position) => ({
          ...fresh(),
          projectId,
          position,
          fileId: i.fileId,
          kind: i.kind,
          storyId: mapped(i.storyId),
          prompt: i.prompt,
          provider: i.provider,
          model: i.model,
          width: i.width,
          height: i.height,
          styleId: mapped(i.styleId),
          characterIds: [...new Set(i.characterIds)].map((id) => ids.get(id)!),
        })),
      )
      const drawings = await repos.drawing.insertMany(doc.drawings.map((d, position) => ({ ...fresh(), projectId, position, title: d.title, strokes: d.strokes as Stroke[], byteSize: Buffer.byteLength(JSON.stringify(d.strokes)) })))
      await repos.changes.record([
        { projectId, entity: 'project', entityId: projectId, op: 'create', version: 1 },
        ...stories.map((c) => ({ projectId, entity: 'story' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...images.map((c) => ({ projectId, entity: 'image' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...drawings.map((c) => ({ projectId, entity: 'drawing' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...characters.map((c) => ({ projectId, entity: 'character' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...styles.map((c) => ({ projectId, entity: 'style' as const, entityId: c.id, op: 'create' as const, version: 1 })),
      ])
      await this.usage.record({ type: 'project.imported', userId: actor.id, entityType: 'project', entityId: projectId, metadata: { stories: stories.length, images: images.length, drawings: drawings.length } }, repos)
      return project
    })
    return toProjectView(row, 'owner')
  }

  /** A file the caller may read: their own, or one a project they can read uses (as GET /api/files/:id decides). */
  private async checkFiles(actor: Actor, doc: ExportDocumentData): Promise<void> {
    const wanted = new Set([...(doc.project.coverFileId ? [doc.project.coverFileId] : []), ...doc.images.map((i) => i.fileId), ...doc.characters.flatMap((c) => c.referenceFileIds)])
    const refused: string[] = []
    for (const id of wanted) {
      const file = await this.files.find(id)
      if (file?.ownerId === actor.id) continue
      if (file && (await this.store.repos.projects.fileVisibleTo(id, actor.id))) continue
      refused.push(id)
    }
    if (refused.length > 0) throw new AppError('COLORBOOK_FILE_INVALID', 'Some files of the document do not exist or are not yours to read; nothing was imported.', { fileIds: refused })
  }
}

/** Ids are unique, and images refer only to the document's own stories, styles and characters. */
function checkReferences(doc: ExportDocumentData): void {
  const all = [...doc.stories, ...doc.styles, ...doc.characters].map((x) => x.id)
  const repeated = [...new Set(all.filter((id, i) => all.indexOf(id) !== i))]
  if (repeated.length > 0) throw new AppError('VALIDATION_FAILED', 'Story, style and character ids must be unique in the document.', { repeated })
  const known = (list: { id: string }[]) => new Set(list.map((x) => x.id))
  const [stories, styles, characters] = [known(doc.stories), known(doc.styles), known(doc.characters)]
  const refused: Record<string, string[]> = {}
  const add = (key: string, id: string) => (refused[key] ??= []).push(id)
  doc.images.forEach((image, i) => {
    if (image.storyId !== null && !stories.has(image.storyId)) add(`images/${i}/storyId`, image.storyId)
    if (image.styleId !== null && !styles.has(image.styleId)) add(`images/${i}/styleId`, image.styleId)
    for (const id of image.characterIds) if (!characters.has(id)) add(`images/${i}/characterIds`, id)
  })
  if (Object.keys(refused).length > 0) throw new AppError('COLORBOOK_REFERENCE_INVALID', 'An image names a story, style or character the document does not have.', refused)
  doc.drawings.forEach((drawing, i) => {
    const byteSize = Buffer.byteLength(JSON.stringify(drawing.strokes))
    if (byteSize > DRAWING_MAX_BYTES) throw new AppError('COLORBOOK_DRAWING_TOO_LARGE', undefined, { drawing: i, byteSize, maxBytes: DRAWING_MAX_BYTES })
  })
}
