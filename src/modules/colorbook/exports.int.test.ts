import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, projectsOwnedBy, setPlan, share, storedChanges, storedDrawings, storedImages, storedStories } from '../../../test/helpers/colorbook.js'
import { fillQuota, setBranding, storedUsageEvents } from '../../../test/helpers/colorbook-exports.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError, waitFor } from '../../../test/helpers/identity.js'

const app = useTestApp({ env: { JOBS_POLL_INTERVAL_MS: '500' } })

async function myFile(user: TestUser, format: 'png' | 'webp' | 'jpeg' = 'png'): Promise<string> {
  const upload = await uploadFile(app(), user, { content: await image(format, 40, 30), filename: `page.${format}` })
  expect(upload.statusCode, upload.body).toBe(201)
  return upload.json().id as string
}

interface ExportView {
  id: string
  status: string
  error: string | null
  file: { id: string; url: string; expiresAt: string } | null
  [key: string]: unknown
}

/** POST …/export, then the record once the job has finished. */
async function exported(user: TestUser, projectId: string, format: 'pdf' | 'json'): Promise<{ record: ExportView; body: Buffer; contentType: string }> {
  const queued = await call(app(), user, 'POST', `/api/projects/${projectId}/export`, { format })
  expect(queued.statusCode, queued.body).toBe(202)
  expect(queued.json()).toMatchObject({ projectId, format, status: 'queued', file: null, finishedAt: null })
  const id = queued.json<ExportView>().id
  const record = await waitFor(async () => {
    const view = (await call(app(), user, 'GET', `/api/projects/${projectId}/exports/${id}`)).json<ExportView>()
    return view.status === 'done' || view.status === 'failed' ? view : undefined
  }, 20_000)
  expect(record, JSON.stringify(record)).toMatchObject({ status: 'done', error: null })
  const url = new URL(record.file!.url)
  // A signed link: no token.
  const download = await app().inject({ url: `${url.pathname}${url.search}` })
  expect(download.statusCode).toBe(200)
  return { record, body: download.rawPayload, contentType: String(download.headers['content-type']) }
}

/** The PDF's pages, and the text drawn on them (content streams inflated, strings decoded). */
function parsePdf(pdf: Buffer) {
  const raw = pdf.toString('latin1')
  const pages = raw.match(/\/Type \/Page\b(?!s)/g)?.length ?? 0
  const mediaBoxes = [...raw.matchAll(/\/MediaBox \[([^\]]+)\]/g)].map((m) => m[1]!.trim().split(/\s+/).map(Number))
  const streams = [...raw.matchAll(/stream\r?\n/g)].flatMap((m) => {
    const start = m.index + m[0].length
    const end = raw.indexOf('endstream', start)
    try {
      return [inflateSync(pdf.subarray(start, end)).toString('latin1')]
    } catch {
      return []
    }
  })
  const text = streams
    .map((s) => [...s.matchAll(/\[([^\]]*)\]\s*TJ/g)].map((tj) => [...tj[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join('')).join('\n'))
    .join('\n')
  const images = raw.match(/\/Subtype \/Image/g)?.length ?? 0
  return { pages, mediaBoxes, text, images, streams, info: raw }
}

const occurrences = (text: string, needle: string) => text.split(needle).length - 1

async function book(owner: TestUser, input: Record<string, unknown> = {}) {
  const project = await createProject(app(), owner, { title: 'The Fox', description: 'A book', coverFileId: await myFile(owner), ...input })
  const story = await addChild(app(), owner, project.id, 'stories', { title: 'Chapter one', text: 'The fox ran.' })
  await addChild(app(), owner, project.id, 'stories', { title: 'Chapter two', text: 'The fox slept.' })
  await addChild(app(), owner, project.id, 'images', { fileId: await myFile(owner, 'webp'), storyId: story.id })
  await addChild(app(), owner, project.id, 'images', { fileId: await myFile(owner, 'jpeg'), kind: 'generated', prompt: 'a fox', provider: 'openai', model: 'dall-e' })
  await addChild(app(), owner, project.id, 'images', { fileId: await myFile(owner) })
  const strokes = [
    { points: [[0, 0], [100, 50], [200, 10]], width: 3, color: '#ff0000' },
    { points: [[50, 50]], width: 8 },
  ]
  await addChild(app(), owner, project.id, 'drawings', { title: 'Scribble', strokes })
  await addChild(app(), owner, project.id, 'drawings', { strokes: [{ points: [[0, 0], [10, 10]], width: 1, tool: 'pen' }] })
  return project
}

/** Cover + 2 story pages + 3 images + 2 drawings. */
const BOOK_PAGES = 8

describe('PDF export', () => {
  it('is a colouring book with one page per image and drawing, watermarked on every page on the free plan', async () => {
    const ada = await loginAs(app())
    const project = await book(ada)
    const { record, body, contentType } = await exported(ada, project.id, 'pdf')
    expect(contentType).toContain('application/pdf')
    expect(body.subarray(0, 5).toString()).toBe('%PDF-')
    const pdf = parsePdf(body)
    expect(pdf.pages).toBe(BOOK_PAGES)
    // Cover + 3 pages of pictures.
    expect(pdf.images).toBe(4)
    expect(pdf.mediaBoxes.every((box) => box[2] === 595.28 && box[3] === 841.89)).toBe(true)
    expect(occurrences(pdf.text, 'COLORBOOK PREVIEW')).toBe(BOOK_PAGES)
    expect(pdf.text).toContain('Made with ColorBook')
    expect(pdf.text).toContain('Chapter one')
    expect(pdf.text).toContain('The fox slept.')
    // The red stroke is a vector path: a red stroke colour and line segments.
    expect(pdf.streams.some((s) => /\n1 0 0 SCN\n/.test(s) && / l\n/.test(s) && /\nS\n/.test(s))).toBe(true)
    // The result is one of the requester's files.
    const file = await call(app(), ada, 'GET', `/api/files/${record.file!.id}`)
    expect(file.statusCode).toBe(200)
    expect(file.json()).toMatchObject({ ownerId: ada.id, name: 'The Fox.pdf' })
    const events = (await storedUsageEvents(app(), ada.id)).filter((e) => e.entityId === project.id && e.type.startsWith('export.'))
    expect(events.map((e) => [e.type, e.metadata]).sort()).toEqual([
      ['export.completed', { format: 'pdf' }],
      ['export.created', { format: 'pdf' }],
    ])
  })

  it('has no watermark on pro (the ColorBook credit stays) and, white-label on enterprise, no ColorBook mark but the branding', async () => {
    const pro = await loginAs(app())
    await setPlan(app(), pro, 'pro')
    const proPdf = parsePdf((await exported(pro, (await book(pro)).id, 'pdf')).body)
    expect(proPdf.pages).toBe(BOOK_PAGES)
    expect(proPdf.text).not.toContain('COLORBOOK PREVIEW')
    expect(proPdf.text).toContain('Made with ColorBook')

    const company = await loginAs(app())
    await setPlan(app(), company, 'enterprise')
    await setBranding(app(), company.id, { name: 'Acme Books', colors: { primary: '#112233' } })
    const enterprisePdf = parsePdf((await exported(company, (await book(company)).id, 'pdf')).body)
    expect(enterprisePdf.pages).toBe(BOOK_PAGES)
    expect(enterprisePdf.text).not.toContain('COLORBOOK PREVIEW')
    expect(enterprisePdf.text).not.toMatch(/colorbook|plinth/i)
    expect(enterprisePdf.info).not.toMatch(/\/Creator \(ColorBook\)|Plinth/)
    expect(enterprisePdf.text).toContain('Acme Books')
  })

  it('uses the project’s page format and, for a collaborator, the owner’s plan', async () => {
    const owner = await loginAs(app())
    await setPlan(app(), owner, 'pro')
    const viewer = await loginAs(app())
    const project = await createProject(app(), owner, { title: 'Wide', pageFormat: { size: 'A5', orientation: 'landscape' } })
    await addChild(app(), owner, project.id, 'images', { fileId: await myFile(owner) })
    await share(app(), project.id, viewer, 'viewer')
    const pdf = parsePdf((await exported(viewer, project.id, 'pdf')).body)
    expect(pdf.pages).toBe(2)
    expect(pdf.mediaBoxes.every((box) => box[2] === 595.28 && box[3] === 419.53)).toBe(true)
    expect(pdf.text).not.toContain('COLORBOOK PREVIEW')
  })
})

describe('export refusals', () => {
  it('fails (status failed, with the reason) when the result does not fit the requester’s storage, and makes no file', async () => {
    const ada = await loginAs(app())
    const project = await book(ada)
    await fillQuota(app(), ada.id)
    const queued = await call(app(), ada, 'POST', `/api/projects/${project.id}/export`, { format: 'pdf' })
    const url = `/api/projects/${project.id}/exports/${queued.json().id}`
    const record = await waitFor(async () => {
      const view = (await call(app(), ada, 'GET', url)).json<ExportView>()
      return view.status === 'failed' || view.status === 'done' ? view : undefined
    }, 20_000)
    expect(record).toMatchObject({ status: 'failed', file: null })
    expect(record.error).toMatch(/^STORAGE_QUOTA_EXCEEDED: /)
    expect((await storedUsageEvents(app(), ada.id)).map((e) => e.type)).not.toContain('export.completed')
  })


  it('refuses strangers (404), bad bodies (400) and someone else’s export (404)', async () => {
    const ada = await loginAs(app())
    const eve = await loginAs(app())
    const viewer = await loginAs(app())
    const project = await createProject(app(), ada)
    await share(app(), project.id, viewer, 'viewer')
    expectError(await call(app(), eve, 'POST', `/api/projects/${project.id}/export`, { format: 'pdf' }), 404, 'NOT_FOUND')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/export`, { format: 'docx' }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/export`, { format: 'pdf', watermark: false }), 400, 'VALIDATION_FAILED')
    expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/export`, {}), 400, 'VALIDATION_FAILED')
    const mine = await call(app(), ada, 'POST', `/api/projects/${project.id}/export`, { format: 'json' })
    expect(mine.statusCode).toBe(202)
    const url = `/api/projects/${project.id}/exports/${mine.json().id}`
    expectError(await call(app(), viewer, 'GET', url), 404, 'NOT_FOUND')
    expectError(await call(app(), eve, 'GET', url), 404, 'NOT_FOUND')
    const other = await createProject(app(), ada)
    expectError(await call(app(), ada, 'GET', `/api/projects/${other.id}/exports/${mine.json().id}`), 404, 'NOT_FOUND')
    expectError(await call(app(), eve, 'POST', '/api/projects/00000000-0000-7000-8000-000000000000/export', { format: 'pdf' }), 404, 'NOT_FOUND')
  })
})

async function jsonExport(user: TestUser, projectId: string): Promise<Record<string, unknown>> {
  const { body } = await exported(user, projectId, 'json')
  return JSON.parse(body.toString('utf8')) as Record<string, unknown>
}

const importDoc = (user: TestUser, doc: unknown) => call(app(), user, 'POST', '/api/projects/import', doc)

describe('JSON export and import', () => {
  it('round-trips a project as a new one with every child, new ids and links kept', async () => {
    const ada = await loginAs(app())
    const project = await book(ada, { tags: ['fox'], settings: { grid: true } })
    const doc = await jsonExport(ada, project.id)
    expect(doc).toMatchObject({ format: 'colorbook.project', version: 1, project: { title: 'The Fox', tags: ['fox'], settings: { grid: true } } })

    const imported = await importDoc(ada, doc)
    expect(imported.statusCode, imported.body).toBe(201)
    const copy = imported.json()
    expect(copy).toMatchObject({ ownerId: ada.id, title: 'The Fox', description: 'A book', tags: ['fox'], settings: { grid: true }, version: 1, role: 'owner' })
    expect(copy.id).not.toBe(project.id)
    const strip = <T extends Record<string, unknown>>(rows: T[], ...keys: string[]) => rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !['id', 'projectId', 'createdAt', 'updatedAt', ...keys].includes(k))))
    const [oldStories, newStories] = [await storedStories(app(), project.id), await storedStories(app(), copy.id)]
    expect(strip(newStories)).toEqual(strip(oldStories))
    const [oldImages, newImages] = [await storedImages(app(), project.id), await storedImages(app(), copy.id)]
    expect(strip(newImages, 'storyId')).toEqual(strip(oldImages, 'storyId'))
    expect(newImages[0]!.storyId).toBe(newStories[0]!.id)
    expect(strip(await storedDrawings(app(), copy.id))).toEqual(strip(await storedDrawings(app(), project.id)))
    expect((await storedChanges(app(), copy.id)).map((c) => [c.entity, c.op])).toEqual([['project', 'create'], ...newStories.map(() => ['story', 'create']), ...newImages.map(() => ['image', 'create']), ['drawing', 'create'], ['drawing', 'create']])
    const events = (await storedUsageEvents(app(), ada.id)).filter((e) => e.type === 'project.imported')
    expect(events).toMatchObject([{ entityId: copy.id, metadata: { stories: 2, images: 3, drawings: 2 } }])
  })

  it('lets a reader import a shared project’s files, and refuses files the caller may not read', async () => {
    const owner = await loginAs(app())
    const viewer = await loginAs(app())
    const eve = await loginAs(app())
    const project = await book(owner)
    await share(app(), project.id, viewer, 'viewer')
    const doc = await jsonExport(owner, project.id)
    expect((await importDoc(viewer, doc)).statusCode).toBe(201)
    const refused = expectError(await importDoc(eve, doc), 422, 'COLORBOOK_FILE_INVALID')
    expect((refused.details.fileIds as string[]).length).toBe(4)
    expect(await projectsOwnedBy(app(), eve.id)).toEqual([])
  })

  it('refuses unknown fields, another version, dangling references and a full plan, storing nothing', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'Small' })
    await addChild(app(), ada, project.id, 'stories', { text: 'hi' })
    const doc = await jsonExport(ada, project.id)
    const before = (await projectsOwnedBy(app(), ada.id)).length
    expectError(await importDoc(ada, { ...doc, extra: 1 }), 400, 'VALIDATION_FAILED')
    expectError(await importDoc(ada, { ...doc, project: { ...(doc.project as object), owner: 'me' } }), 400, 'VALIDATION_FAILED')
    expectError(await importDoc(ada, { ...doc, version: 2 }), 400, 'VALIDATION_FAILED')
    expectError(await importDoc(ada, { ...doc, stories: 'none' }), 400, 'VALIDATION_FAILED')
    expectError(await importDoc(ada, { ...doc, format: 'something.else' }), 400, 'VALIDATION_FAILED')
    const dangling = { ...doc, images: [{ fileId: await myFile(ada), kind: 'uploaded', storyId: '00000000-0000-7000-8000-000000000001', prompt: null, provider: null, model: null, width: null, height: null, styleId: null, characterIds: [] }] }
    expect(expectError(await importDoc(ada, dangling), 422, 'COLORBOOK_REFERENCE_INVALID').details).toEqual({ 'images/0/storyId': ['00000000-0000-7000-8000-000000000001'] })
    const stories = doc.stories as { id: string }[]
    expectError(await importDoc(ada, { ...doc, stories: [...stories, ...stories] }), 400, 'VALIDATION_FAILED')
    expect(await projectsOwnedBy(app(), ada.id)).toHaveLength(before)

    // The free plan: 10 projects outside the trash.
    for (let i = before; i < 10; i++) await createProject(app(), ada)
    expect(expectError(await importDoc(ada, doc), 402, 'PLAN_LIMIT_REACHED').details).toMatchObject({ limit: 'projects', used: 10, allowed: 10 })
    expect(await projectsOwnedBy(app(), ada.id)).toHaveLength(10)
  })

  it('stores one of two imports sent at once at the plan’s last free project', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada, { title: 'Race' })
    const doc = await jsonExport(ada, project.id)
    for (let i = 1; i < 9; i++) await createProject(app(), ada)
    const statuses = (await Promise.all([importDoc(ada, doc), importDoc(ada, doc)])).map((r) => r.statusCode).sort()
    expect(statuses).toEqual([201, 402])
    expect(await projectsOwnedBy(app(), ada.id)).toHaveLength(10)
  })
})

