import { Readable } from 'node:stream'
import multipart from '@fastify/multipart'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import Type, { type Static } from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import { IfMatchHeaders, precondition, withETag } from '../../core/http/resource/resource-routes.shared.js'
import { sentMediaType } from '../../core/http/media-type.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import { validatorLeavingBodies } from '../../core/http/validation.js'
import type { ColorbookApi } from './api.js'
import type { ImageInput } from './child-specs.js'
import { DrawingView, ImageView } from './child.view.js'
import { childSchemas } from './children.schemas.js'
import { security, tags } from './projects.routes.js'
import { ImageUploadForm, type FormPart } from './uploads.form.js'

const MULTIPART = 'multipart/form-data'
const IMAGE_BODIES = ['application/json', MULTIPART]
/** What a preview may be sent as; the bytes decide what is stored (any of these). */
const PREVIEW_TYPES = ['image/png', 'image/webp', 'image/jpeg', 'image/gif', 'image/avif']
const PreviewBody = Type.String({ format: 'binary', maxLength: 5_368_709_120, description: 'The rendered image, at most MAX_UPLOAD_BYTES' })

const FILE_CHECKS =
  'The type is decided from the bytes: anything but a JPEG, PNG, GIF, WebP or AVIF image is 415 FILE_TYPE_NOT_ALLOWED; over the upload limit (`maxUploadBytes`, GET /api/files/usage) 413 FILE_TOO_LARGE; past your storage quota (your plan’s `storageBytes`) 413 STORAGE_QUOTA_EXCEEDED; with a virus scanner, infected 422 FILE_INFECTED. The file is yours (it counts against your quota) and gets a thumbnail. A refused request keeps no file.'
const WRITE = 'Owner or editor (a viewer: 403 COLORBOOK_READ_ONLY, checked before the body is read); a trashed project: 409 COLORBOOK_PROJECT_TRASHED; a project or item you cannot see: 404.'

/** POST /projects/:id/images (JSON or multipart) and PUT /drawings/:id/preview (the image as the body). */
export function uploadsRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    await instance.register(imageRoute(api))
    await instance.register(previewRoute(api))
  }
}

/** In its own plugin: multipart bodies are parsed here alone (elsewhere they stay 415). */
function imageRoute(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    // Enough fields for every property and 50 characterIds; a prompt of 10,000 characters in UTF-8.
    await app.register(multipart, { limits: { fileSize: api.uploads.maxUploadBytes, files: 2, fields: 64, fieldSize: 64 * 1024, parts: 66, headerPairs: 100 } })
    app.post(
      '/projects/:id/images',
      {
        schema: {
          tags,
          security,
          summary: 'Add an image',
          description:
            'At `position`, or after the last one. As application/json: `fileId` must be one of your files (422 COLORBOOK_FILE_INVALID). As multipart/form-data: the image itself as the part `file`, and the JSON body’s other fields as text fields (numbers as digits, `characterIds` once per id; fields before the file are checked before it is stored); a field the JSON body does not take (`fileId` too), a second file or none is 400 VALIDATION_FAILED. ' +
            `${FILE_CHECKS} Without \`width\` and \`height\`, an uploaded image gets its own. Either way \`storyId\`, \`styleId\` and \`characterIds\` must be the project’s (422 COLORBOOK_REFERENCE_INVALID), and a project holds at most 1,000 images (422 COLORBOOK_CHILD_LIMIT). ${WRITE}`,
          params: IdParams,
          consumes: IMAGE_BODIES,
          body: { content: { 'application/json': { schema: childSchemas.image.create }, [MULTIPART]: { schema: ImageUploadForm } } },
          response: { 201: ImageView, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
        },
        validatorCompiler: validatorLeavingBodies(app, [MULTIPART]),
      },
      async (request, reply) => {
        const actor = requireActor(request)
        const view = request.isMultipart()
          ? await drainedOnError(request, api.uploads.uploadImage(actor, request.params.id, formParts(request)))
          : await api.children.create(actor, 'image', request.params.id, request.body as ImageInput)
        return withETag(reply.code(201), view as Static<typeof ImageView>)
      },
    )
  }
}

/** In its own plugin: image bodies reach the handler as the request stream, here alone. */
function previewRoute(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    app.addContentTypeParser(PREVIEW_TYPES, (_request, payload, done) => done(null, payload))
    app.put(
      '/drawings/:id/preview',
      {
        // Before the body: JSON (which the app would parse) or any other type is 415.
        onRequest: requirePreviewType,
        schema: {
          tags,
          security,
          summary: 'Set a drawing’s rendered preview',
          description:
            'The body is the image, sent as it is with its Content-Type (image/png, image/webp, image/jpeg, image/gif or image/avif; any other 415 UNSUPPORTED_MEDIA_TYPE): a PUT replaces the resource at its URL with the body, the way object stores take a file. ' +
            `${FILE_CHECKS} The drawing gets \`previewFileId\` and \`previewUrl\` (a new version, the \`drawing.updated\` event and a sync-log row, as for any drawing write); the preview it replaces is deleted unless a copy of the drawing or an image still names it. ` +
            `\`If-Match: "<version>"\` is optional: when sent, a drawing at another version is 412 PRECONDITION_FAILED (with the current drawing) and nothing is stored. ${WRITE}`,
          params: IdParams,
          headers: IfMatchHeaders,
          consumes: PREVIEW_TYPES,
          body: { content: Object.fromEntries(PREVIEW_TYPES.map((type) => [type, { schema: PreviewBody }])) },
          response: { 200: DrawingView, ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 503) },
        },
        validatorCompiler: validatorLeavingBodies(app, PREVIEW_TYPES),
      },
      async (request, reply) => {
        // A PUT without a body is parsed by nobody: an empty upload (400).
        const body = request.body instanceof Readable ? request.body : Readable.from([])
        const view = await drainedOnError(request, api.uploads.putPreview(requireActor(request), request.params.id, body, precondition(request, undefined).ifMatch))
        return withETag(reply, view)
      },
    )
  }
}

async function requirePreviewType(request: FastifyRequest): Promise<void> {
  const sent = sentMediaType(request)
  if (sent === null || !PREVIEW_TYPES.includes(sent)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the image as the body with its Content-Type (${PREVIEW_TYPES.join(', ')}).`, { contentType: sent, accepted: PREVIEW_TYPES })
  }
}

/** The request's parts as the service reads them; busboy's own errors (a cut body, a limit) keep their status. */
async function* formParts(request: FastifyRequest): AsyncGenerator<FormPart> {
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') yield { type: 'field', name: part.fieldname, value: part.value, truncated: part.valueTruncated }
      else yield { type: 'file', name: part.fieldname, fileName: part.filename, body: part.file, truncated: () => part.file.truncated }
    }
  } catch (error) {
    throw malformed(error)
  }
}

function malformed(error: unknown): Error {
  const status = (error as { statusCode?: number }).statusCode
  if (error instanceof AppError || (error instanceof Error && status !== undefined && status < 500)) return error
  return Object.assign(new AppError('BAD_REQUEST', 'The multipart body is malformed.'), { cause: error })
}

/**
 * A refusal before the body was read to its end (no access, a bad field) reads the rest first: an
 * answer sent while the client is still sending leaves it a reset instead (the request timeout bounds this).
 */
async function drainedOnError<T>(request: FastifyRequest, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    const raw = request.raw
    if (!raw.readableEnded && !raw.destroyed) {
      await new Promise<void>((resolve) => {
        raw.once('end', resolve).once('close', resolve).once('error', () => resolve())
        raw.resume()
      })
    }
    throw error
  }
}
