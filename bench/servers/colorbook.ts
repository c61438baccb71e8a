import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { v7 as uuidv7 } from 'uuid'
import { buildApp } from '../../src/app.js'
import { colorbookModule } from '../../src/modules/colorbook/index.js'
import { subscriptions } from '../../src/modules/colorbook/db/schema.js'
import { strokes } from '../lib/colorbook.js'
import { benchModule } from './fanout-module.js'
import { appServer, failStartup, printReady } from './lifecycle.js'

/**
 * The app with the ColorBook module (and the bench module for memory readings, `POST /api/bench/stats`),
 * as the ColorBook scenarios (scenarios/colorbook.ts) use it. It registers one account on the `pro` plan
 * (no project limit) and creates through the API:
 * - `pageProjectId`: a 50-page book (25 images of one uploaded PNG, 25 drawings of 20 strokes, 25 stories);
 * - `bookProjectId`: a 100-page book (50 images, 50 drawings, 50 stories), the one duplicated;
 * - `storyIds`: BENCH_COLORBOOK_STORIES (64) stories of their own project, one per PATCH worker;
 * - `drawingIds`: four drawings, one per worker of the 1 MB drawing PUTs;
 * - `syncProjectId`: a project of 1,000 stories, so a new device's first pull of the account's change
 *   feed (compacted: one change per entity) has more than 1,000 changes to send.
 * The ready line announces the ids, each seeded row's version and the access token.
 */
async function start(): Promise<void> {
  const { config, serve } = appServer('plinth-bench-colorbook-', {
    REDIS_URL: process.env.REDIS_URL,
    LOGIN_MAX_FAILURES: '1000000000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000000',
  }, [colorbookModule])
  const app = await buildApp(config, { modules: [colorbookModule, benchModule] })
  serve(app)
  const seeded = await seed(app)
  await app.listen({ host: config.host, port: config.port })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, database: app.platform.database.kind, ...seeded })
}

type Json = Record<string, unknown>

async function seed(app: FastifyInstance): Promise<Json> {
  const email = `colorbook-${uuidv7()}@example.com`
  const password = `bench-${randomBytes(18).toString('base64url')}`
  const registered = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password, name: 'Bench Artist' } })
  if (registered.statusCode !== 201) throw new Error(`POST /api/auth/register answered ${registered.statusCode}: ${registered.body}`)
  const { user, accessToken } = registered.json<{ user: { id: string }; accessToken: string }>()
  await app.platform.database.db.insert(subscriptions).values({ userId: user.id, planId: 'pro', status: 'active' })
  const call = clientFor(app, accessToken)
  const fileId = await uploadPng(app, accessToken)

  const book = async (title: string, pages: number): Promise<string> => {
    const project = await call('POST', '/api/projects', { title }, 201)
    const id = project.id as string
    await inParallel(pages, async (i) => {
      await call('POST', `/api/projects/${id}/stories`, { title: `Page ${i}`, text: `Once upon a time ${'the fox ran through the woods. '.repeat(20)}` }, 201)
      await call('POST', `/api/projects/${id}/images`, { fileId, kind: 'generated', prompt: `a fox, page ${i}`, provider: 'openai', model: 'gpt-image-1', width: 1024, height: 1024 }, 201)
      await call('POST', `/api/projects/${id}/drawings`, { strokes: strokes(20, 20) }, 201)
    })
    return id
  }
  const pageProjectId = await book('Bench 50 pages', 25)
  const bookProjectId = await book('Bench 100 pages', 50)

  const storyProjectId = (await call('POST', '/api/projects', { title: 'Bench stories' }, 201)).id as string
  const storyIds: string[] = []
  await inParallel(count('BENCH_COLORBOOK_STORIES', 64), async (i) => {
    storyIds.push((await call('POST', `/api/projects/${storyProjectId}/stories`, { title: `Story ${i}`, text: 'draft' }, 201)).id as string)
  })
  const drawingIds: string[] = []
  for (let i = 0; i < 4; i++) drawingIds.push((await call('POST', `/api/projects/${storyProjectId}/drawings`, { strokes: strokes(1, 2) }, 201)).id as string)

  const syncProjectId = (await call('POST', '/api/projects', { title: 'Bench sync' }, 201)).id as string
  await inParallel(1000, (i) => call('POST', `/api/projects/${syncProjectId}/stories`, { title: `Synced ${i}`, text: 'a short page of text' }, 201))

  return { accessToken, userId: user.id, pageProjectId, bookProjectId, storyIds, drawingIds, syncProjectId }
}

/** `total` calls of `task`, 8 at a time (the seed's writes are independent). */
async function inParallel(total: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < total) await task(next++)
  }))
}

function clientFor(app: FastifyInstance, token: string) {
  return async (method: 'POST' | 'PATCH', url: string, payload: Json, status: number): Promise<Json> => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload })
    if (response.statusCode !== status) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body.slice(0, 500)}`)
    return response.json<Json>()
  }
}

async function uploadPng(app: FastifyInstance, token: string): Promise<string> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 120, b: 40 } } }).png().toBuffer()
  const form = new FormData()
  form.append('file', new Blob([png], { type: 'image/png' }), 'page.png')
  const encoded = new Response(form)
  const response = await app.inject({
    method: 'POST',
    url: '/api/files',
    headers: { authorization: `Bearer ${token}`, 'content-type': encoded.headers.get('content-type')! },
    payload: Buffer.from(await encoded.arrayBuffer()),
  })
  if (response.statusCode !== 201) throw new Error(`POST /api/files answered ${response.statusCode}: ${response.body.slice(0, 300)}`)
  return response.json<{ id: string }>().id
}

function count(name: string, fallback: number): number {
  const raw = process.env[name]?.trim()
  const value = raw ? Number(raw) : fallback
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is invalid: expected a positive integer`)
  return value
}

start().catch((error: unknown) => failStartup(error))
