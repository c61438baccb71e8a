import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../core/access/actor.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { FileView, FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import { missingAs, type ChildrenService } from './children.service.js'
import { staleVersion } from './concurrency.js'
import { toDrawingView } from './child.view.js'
import type { ColorbookStore } from './store.js'
import { FILE_FIELD, ImageFormFields, type FormPart } from './uploads.form.js'

type UploadFiles = Pick<FilesApi, 'store' | 'remove' | 'imageSize' | 'maxUploadBytes'>

/**
 * Images and drawing previews sent as files: the bytes go through the platform's checks (type
 * from the bytes, images only, size, the uploader's quota, scan) into a file of the uploader's,
 * then the row names it. Access is checked before any byte is read; a refused request keeps no
 * file, and a replaced preview's file is deleted once nothing else names it.
 */
export class UploadsService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly children: ChildrenService,
    private readonly files: UploadFiles,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The largest file accepted (MAX_UPLOAD_BYTES): the multipart parser's limit. */
  get maxUploadBytes(): number {
    return this.files.maxUploadBytes
  }

  /** POST /projects/:id/images as multipart/form-data: the `file` part and the JSON body's other fields as text. */
  async uploadImage(actor: Actor, projectId: string, form: AsyncIterable<FormPart>) {
    await this.access.check(actor, this.store.repos, projectId, 'edit')
    const { file, fields } = await this.readForm(actor, form)
    try {
      const input = fields.input()
      // The client's size wins; without one, the image's own.
      const size = input.width === undefined && input.height === undefined ? await this.files.imageSize(file.id) : null
      return await this.children.create(actor, 'image', projectId, { ...input, ...(size ?? {}), fileId: file.id })
    } catch (error) {
      await this.discard(file.id)
      throw error
    }
  }

  /** PUT /drawings/:id/preview: the body is the image; the drawing's previous preview is released. */
  async putPreview(actor: Actor, drawingId: string, body: Readable, ifMatch: number | undefined) {
    await this.editableDrawing(actor, drawingId, ifMatch)
    const file = await this.files.store(actor.id, `preview-${drawingId}`, body, { imagesOnly: true, drainOnRefusal: true })
    let result: Awaited<ReturnType<ChildrenService['setPreview']>>
    try {
      result = await this.children.setPreview(actor, drawingId, file.id, ifMatch)
    } catch (error) {
      await this.discard(file.id)
      throw error
    }
    if (result.replaced !== null && result.replaced !== file.id) await this.release(result.replaced)
    return result.view
  }

  /**
   * Reads every part, in order: text fields are collected; the file part is stored once the fields
   * before it pass, and the fields after it are checked with the rest by the caller. After the
   * first refusal the remaining parts are read and dropped, so the answer never cuts the upload.
   */
  private async readForm(actor: Actor, form: AsyncIterable<FormPart>): Promise<{ file: FileView; fields: ImageFormFields }> {
    const fields = new ImageFormFields()
    let file: FileView | undefined
    let refusal: unknown
    try {
      for await (const part of form) {
        if (part.type === 'field') {
          if (refusal === undefined) fields.add(part.name, part.value, part.truncated)
          continue
        }
        if (refusal !== undefined) {
          await drain(part.body)
          continue
        }
        try {
          if (part.name !== FILE_FIELD) throw new AppError('VALIDATION_FAILED', `The file part must be named “${FILE_FIELD}”.`, { [part.name]: 'is not allowed' })
          if (file) throw new AppError('VALIDATION_FAILED', 'Send one file.', { [FILE_FIELD]: 'must be sent once' })
          fields.input()
          file = await this.files.store(actor.id, part.fileName, part.body, { imagesOnly: true, truncated: part.truncated, drainOnRefusal: true })
        } catch (error) {
          refusal = error
          await drain(part.body)
        }
      }
    } catch (error) {
      refusal ??= error
    }
    if (refusal === undefined && file) return { file, fields }
    if (file) await this.discard(file.id)
    if (refusal !== undefined) throw refusal as Error
    return fields.missingFile()
  }

  /** Before the body is read: the drawing exists, the actor may edit it, and it is at `ifMatch` when given. */
  private async editableDrawing(actor: Actor, id: string, ifMatch: number | undefined): Promise<void> {
    const row = await this.store.repos.drawing.findById(id)
    if (!row) throw notFound('Drawing')
    await this.access.check(actor, this.store.repos, row.projectId, 'edit').catch((error: unknown) => missingAs(error, 'Drawing'))
    if (ifMatch !== undefined && row.version !== ifMatch) throw staleVersion({ ifMatch }, 'Drawing', row.version, toDrawingView(row))
  }

  /** A file this request stored and no row names: deleted (logged when storage refuses; the answer stands). */
  private async discard(fileId: string): Promise<void> {
    await this.files.remove(fileId).catch((err: unknown) => this.log.error({ err, fileId }, 'could not delete the file of a refused upload'))
  }

  /** A replaced preview: deleted unless a copy of the drawing or an image still names it. */
  private async release(fileId: string): Promise<void> {
    try {
      if (!(await this.store.repos.references.fileInUse(fileId))) await this.files.remove(fileId)
    } catch (err) {
      this.log.error({ err, fileId }, 'could not release a replaced drawing preview')
    }
  }
}

/** Reads and drops what is left of a part, so the request ends before the answer goes out. */
async function drain(body: Readable): Promise<void> {
  if (body.readableEnded || body.destroyed) return
  await new Promise<void>((resolve) => {
    body.once('end', resolve).once('close', resolve).once('error', () => resolve())
    body.resume()
  })
}
