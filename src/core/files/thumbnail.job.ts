import Type from 'typebox'
import { defineJob, type JobDefinition, type JobType } from '../jobs/index.js'
import type { RealtimePublisher } from '../realtime/index.js'
import { toFileView } from './file.view.js'
import type { ThumbnailMaker } from './thumbnails.js'

export const ThumbnailPayload = Type.Object({ fileId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })

/** Sent for every stored image: the upload answers at once, the thumbnail follows. */
export const MakeThumbnail: JobType<typeof ThumbnailPayload> = { name: 'files.thumbnail', payload: ThumbnailPayload }

/**
 * Makes the thumbnail, then tells the owner in their `user:<id>` room (`file.thumbnail`, the file's
 * metadata). A storage outage throws and is retried; an undecodable image settles as `failed`.
 */
export function thumbnailJob(maker: ThumbnailMaker, realtime: RealtimePublisher): JobDefinition<typeof ThumbnailPayload> {
  return defineJob({
    ...MakeThumbnail,
    retryLimit: 3,
    retryDelaySeconds: 5,
    timeoutSeconds: 120,
    handle: async ({ fileId }) => {
      const file = await maker.make(fileId)
      if (file?.thumbnailStatus === 'ready' || file?.thumbnailStatus === 'failed') {
        await realtime.publish(`user:${file.ownerId}`, 'file.thumbnail', toFileView(file))
      }
    },
  })
}
