import { AppError } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { MessageType } from './domain.js'

/** A file as a message keeps it: the metadata at send time (a stored file's never changes). */
export interface Attachment {
  readonly fileId: string
  readonly position: number
  readonly name: string
  readonly contentType: string
  readonly size: number
}

export interface Media {
  readonly durationMs: number
  readonly waveform?: number[]
}

/**
 * The sender's own files, in the order given; 422 MESSAGE_FILE_INVALID naming every id that is
 * missing or someone else's. Looked up before the send's transaction (it must stay short).
 */
export async function ownAttachments(files: Pick<FilesApi, 'find'>, ownerId: string, fileIds: readonly string[]): Promise<Attachment[]> {
  const found = await Promise.all(fileIds.map((id) => files.find(id)))
  const refused = fileIds.filter((_, i) => found[i]?.ownerId !== ownerId)
  if (refused.length > 0) throw new AppError('MESSAGE_FILE_INVALID', undefined, { fileIds: refused })
  return found.map((file, position) => ({ fileId: file!.id, position, name: file!.name, contentType: file!.contentType, size: file!.size }))
}

/** Containers that hold either audio or video: a client's waveform says it recorded voice. */
const AUDIO_OR_VIDEO_CONTAINERS = new Set(['video/webm', 'video/mp4'])

/**
 * What a message is from what it carries: one audio file is a voice message, one video file a video
 * message (a WebM or MP4 sent with a waveform is voice), files without text a `file` message,
 * anything else `text`. `media` (duration, waveform) belongs only to voice and video: 422 otherwise.
 */
export function messageType(text: string | null, attachments: readonly Attachment[], media: Media | undefined): MessageType {
  const type = kindOf(text, attachments, media)
  if (media && type !== 'voice' && type !== 'video') {
    throw new AppError('MESSAGE_MEDIA_INVALID', undefined, { media: 'only with exactly one audio or video file' })
  }
  if (media?.waveform && type !== 'voice') throw new AppError('MESSAGE_MEDIA_INVALID', undefined, { waveform: 'only for voice messages' })
  return type
}

function kindOf(text: string | null, attachments: readonly Attachment[], media: Media | undefined): MessageType {
  if (attachments.length === 1) {
    const contentType = attachments[0]!.contentType
    if (contentType.startsWith('audio/')) return 'voice'
    if (AUDIO_OR_VIDEO_CONTAINERS.has(contentType) && media?.waveform) return 'voice'
    if (contentType.startsWith('video/')) return 'video'
  }
  if (attachments.length > 0 && text === null) return 'file'
  return 'text'
}
