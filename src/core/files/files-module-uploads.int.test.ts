import { join } from 'node:path'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { filesProbe, filesUnder, image } from '../../../test/helpers/files.js'

/** What ctx.files offers a module taking uploads itself: images only, the upload limit, an image's size. */
const probe = filesProbe()
const app = useTestApp({ modules: [probe.module], env: { MAX_UPLOAD_BYTES: '100000' } })
const storageRoot = () => join(app().platform.config.dataDir, 'files')
const stream = (content: Buffer | string) => Readable.from([Buffer.from(content)])

describe('ctx.files for modules that take uploads', () => {
  it('stores only images with `imagesOnly`: any other allowed type is 415 FILE_TYPE_NOT_ALLOWED and leaves nothing', async () => {
    const owner = await loginAs(app())
    const before = filesUnder(storageRoot())
    for (const [name, content] of [['notes.txt', 'plain text\n'], ['page.pdf', '%PDF-1.4\n%%EOF\n']] as const) {
      await expect(probe.files().store(owner.id, name, stream(content), { imagesOnly: true })).rejects.toMatchObject({
        code: 'FILE_TYPE_NOT_ALLOWED',
        details: { accepted: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif'] },
      })
    }
    expect(filesUnder(storageRoot())).toEqual(before)
    expect(await probe.files().bytesUsed(owner.id)).toBe(0)
    const stored = await probe.files().store(owner.id, 'page', stream(await image('gif', 8, 8)), { imagesOnly: true })
    expect(stored).toMatchObject({ ownerId: owner.id, contentType: 'image/gif', thumbnail: 'pending', name: 'page' })
    // Without the option a module still stores any allowed type.
    expect(await probe.files().store(owner.id, 'notes.txt', stream('plain text\n'))).toMatchObject({ contentType: 'text/plain' })
  })

  it('says the upload limit, and refuses past it with FILE_TOO_LARGE (or when the transport cut the stream)', async () => {
    const owner = await loginAs(app())
    expect(probe.files().maxUploadBytes).toBe(100_000)
    const png = await image('png', 8, 8)
    await expect(probe.files().store(owner.id, 'big.png', stream(Buffer.concat([png, Buffer.alloc(100_000)])), { imagesOnly: true })).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' })
    await expect(probe.files().store(owner.id, 'cut.png', stream(png), { truncated: () => true })).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' })
    expect(await probe.files().bytesUsed(owner.id)).toBe(0)
  })

  it('reads a stored image’s size as shown (EXIF orientation applied); null for other files and unknown ids', async () => {
    const owner = await loginAs(app())
    const webp = await probe.files().store(owner.id, 'wide.webp', stream(await image('webp', 40, 30)))
    expect(await probe.files().imageSize(webp.id)).toEqual({ width: 40, height: 30 })
    // Stored 40×30 with "rotate 90°": shown 30×40.
    const rotated = await sharp(await image('jpeg', 40, 30)).withMetadata({ orientation: 6 }).jpeg().toBuffer()
    const jpeg = await probe.files().store(owner.id, 'photo.jpg', stream(rotated))
    expect(await probe.files().imageSize(jpeg.id)).toEqual({ width: 30, height: 40 })
    const text = await probe.files().store(owner.id, 'notes.txt', stream('plain text\n'))
    expect(await probe.files().imageSize(text.id)).toBeNull()
    expect(await probe.files().imageSize('00000000-0000-7000-8000-000000000000')).toBeNull()
    expect(await probe.files().imageSize('not-a-uuid')).toBeNull()
  })
})
