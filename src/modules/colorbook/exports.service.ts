import { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import Type from 'typebox'
import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { JobContext, JobSender } from '../../core/jobs/index.js'
import type { ProjectAccess } from './access.js'
import type { ProjectRow } from './db/schema.js'
import type { ColorbookEvents } from './events.js'
import { toExportDocument, type ProjectContent } from './export-document.js'
import { colouringBook, type Book, type BookSection } from './export.pdf.js'
import type { ExportRow } from './exports.repository.js'
import type { ColorbookStore } from './store.js'
import type { UsageService } from './usage.service.js'

export type ExportFormat = 'pdf' | 'json'

export const ExportPayload = Type.Object({ exportId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })
/** `colorbook.export`: renders one export (defined by jobs(), sent by request()). */
export const EXPORT_JOB = { name: 'colorbook.export', payload: ExportPayload } as const

/** How long a result's signed link lasts. */
export const LINK_SECONDS = 3600
/** The largest picture a page reads (larger ones leave their page blank). */
const MAX_IMAGE_BYTES = 50 * 1024 * 1024

export interface ExportView {
  id: string
  projectId: string
  format: ExportFormat
  status: 'queued' | 'running' | 'done' | 'failed'
  error: string | null
  createdAt: string
  finishedAt: string | null
  file: { id: string; url: string; expiresAt: string } | null
}

/**
 * Exports of a project as a print-ready PDF or a JSON document: a job renders it and stores the
 * result as the requester's file, reached through a signed link. The requester hears `export.finished`
 * (the export as GET shows it) in their `user:<id>` room once it is done or has failed for good.
 */
export class ExportsService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly files: Pick<FilesApi, 'store' | 'signedUrl' | 'open' | 'remove'>,
    private readonly jobs: JobSender,
    private readonly usage: UsageService,
    private readonly events: Pick<ColorbookEvents, 'toUser'>,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Any reader may export; the job is queued in the same transaction as the record. */
  async request(actor: Actor, projectId: string, format: ExportFormat): Promise<ExportView> {
    const row = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'read')
      const row = await repos.exports.insert({ id: newId(), projectId, userId: actor.id, format })
      await this.usage.record({ type: 'export.created', userId: actor.id, entityType: 'project', entityId: projectId, metadata: { format } }, repos)
      await this.jobs.send(EXPORT_JOB, { exportId: row.id }, { db: repos.exports.executor() })
      return row
    })
    return this.view(row)
  }

  /** The caller's own export of a project they may read; when done, with a signed link to the file. */
  async get(actor: Actor, projectId: string, exportId: string): Promise<ExportView> {
    await this.access.check(actor, this.store.repos, projectId, 'read')
    const row = await this.store.repos.exports.findById(exportId)
    if (row?.projectId !== projectId || row.userId !== actor.id) throw notFound('Export')
    return this.view(row)
  }

  /** The job: idempotent (a finished export is left alone; a second run's file is removed). */
  async run(exportId: string, job: Pick<JobContext, 'attempt' | 'maxAttempts' | 'signal'>): Promise<void> {
    const { repos } = this.store
    const row = await repos.exports.start(exportId)
    if (!row) return
    try {
      const content = await this.content(row.projectId)
      if (!content) return await this.announce(await repos.exports.fail(exportId, 'The project no longer exists.', new Date()))
      job.signal.throwIfAborted()
      const file = await this.files.store(row.userId, fileName(content.project.title, row.format), await this.render(row, content))
      const done = await repos.exports.finish(exportId, file.id, new Date())
      if (!done) {
        await this.files.remove(file.id)
        return
      }
      await this.usage.record({ type: 'export.completed', userId: row.userId, entityType: 'project', entityId: row.projectId, metadata: { format: row.format } })
      await this.announce(done)
    } catch (error) {
      // A refusal (the user's storage quota, a file too large) will not pass on a retry.
      const permanent = error instanceof AppError && error.status < 500
      if (permanent || job.attempt >= job.maxAttempts) {
        await this.announce(await repos.exports.fail(exportId, error instanceof AppError ? `${error.code}: ${error.message}` : 'The export could not be made.', new Date()))
        if (permanent) return
      }
      throw error
    }
  }

  /** `export.finished` to the requester, once the export is done or failed for good (never a reason to retry the job). */
  private async announce(row: ExportRow | undefined): Promise<void> {
    if (!row) return
    try {
      this.events.toUser(row.userId, 'export.finished', await this.view(row))
    } catch (err) {
      this.log.error({ err, exportId: row.id }, 'colorbook: export.finished not published')
    }
  }

  private async render(row: ExportRow, content: ProjectContent): Promise<Readable> {
    if (row.format === 'json') return Readable.from([Buffer.from(JSON.stringify(toExportDocument(content, new Date()), null, 2))])
    return colouringBook(await this.book(content), (fileId) => this.readImage(fileId))
  }

  /** The plan that decides the marks is the project owner's: it is their book. */
  private async book(content: ProjectContent): Promise<Book> {
    const { project } = content
    const plan = await this.store.repos.plans.planOf(project.ownerId)
    const branding = plan.whiteLabel ? await this.store.repos.exports.brandingOf(project.ownerId) : undefined
    return {
      title: project.title,
      description: project.description,
      size: project.pageSize,
      orientation: project.pageOrientation,
      coverFileId: project.coverFileId,
      sections: sections(content),
      watermark: !plan.exportWithoutWatermark,
      credit: !plan.whiteLabel,
      brand: branding ? { name: branding.name, logoFileId: branding.logoFileId, color: branding.colors.primary ?? null } : null,
    }
  }

  private async content(projectId: string): Promise<ProjectContent | undefined> {
    const { repos } = this.store
    const project: ProjectRow | undefined = await repos.projects.findById(projectId)
    if (!project) return undefined
    const [stories, images, drawings, styles, characters] = await Promise.all([
      repos.story.listOf(projectId),
      repos.image.listOf(projectId),
      repos.drawing.listOf(projectId),
      repos.exports.stylesOf(projectId),
      repos.exports.charactersOf(projectId),
    ])
    return { project, stories, images, drawings, styles, characters }
  }

  private async readImage(fileId: string): Promise<Buffer | null> {
    const stream = await this.files.open(fileId)
    if (!stream) return null
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_IMAGE_BYTES) {
        stream.destroy()
        this.log.warn({ fileId }, 'colorbook export: image too large for a page, left blank')
        return null
      }
      chunks.push(chunk)
    }
    return Buffer.concat(chunks)
  }

  private async view(row: ExportRow): Promise<ExportView> {
    const links = row.status === 'done' && row.fileId ? await this.files.signedUrl(row.fileId, LINK_SECONDS) : null
    return {
      id: row.id,
      projectId: row.projectId,
      format: row.format,
      status: row.status,
      error: row.error,
      createdAt: row.createdAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
      file: links && row.fileId ? { id: row.fileId, url: links.url, expiresAt: links.expiresAt } : null,
    }
  }
}

/**
 * The book's order: each story followed by the images that illustrate it, then the images of the
 * project itself, then the drawings; each in its own order.
 */
export function sections(content: Pick<ProjectContent, 'stories' | 'images' | 'drawings'>): BookSection[] {
  const storyIds = new Set(content.stories.map((s) => s.id))
  const out: BookSection[] = []
  for (const story of content.stories) {
    out.push({ kind: 'story', title: story.title, text: story.text })
    for (const image of content.images) if (image.storyId === story.id) out.push({ kind: 'image', fileId: image.fileId })
  }
  for (const image of content.images) if (image.storyId === null || !storyIds.has(image.storyId)) out.push({ kind: 'image', fileId: image.fileId })
  for (const drawing of content.drawings) out.push({ kind: 'drawing', title: drawing.title, strokes: drawing.strokes })
  return out
}

const fileName = (title: string, format: ExportFormat) => `${title.replace(/[^\p{L}\p{N} _-]+/gu, '').trim().slice(0, 80) || 'colorbook'}.${format === 'pdf' ? 'pdf' : 'json'}`
