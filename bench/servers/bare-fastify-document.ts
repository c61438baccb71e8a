import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import postgres from 'postgres'
import { postgresJsTarget } from '../../src/core/db/connection.js'
import { exitOnShutdown, failStartup, printReady } from './lifecycle.js'

/**
 * The floor under `GET /api/projects/:id?include=stories,images,drawings`: `Fastify()` with no logger,
 * plugins or hooks, the app's driver (postgres.js) and pool size, and one route reading what the app
 * reads for the document — the project by primary key, then its stories, images and drawings (strokes
 * as their JSON text, as the app reads them) in parallel — answered as one JSON document with the
 * strokes spliced in. No authentication, no access check, no ETag, no schema serialiser. It reads the
 * newest 50-page book the colorbook server seeded on the run's database (so it runs after that server).
 */
let sql: postgres.Sql | undefined
const app = Fastify()

app.get<{ Params: { id: string } }>('/projects/:id', async (request, reply) => {
  const id = request.params.id
  const [project] = await sql!`select * from colorbook_projects where id = ${id} and trashed_at is null`
  if (!project) return reply.code(404).send({ error: 'not found' })
  const [stories, images, drawings] = await Promise.all([
    sql!`select id, project_id, position, title, text, version, created_at, updated_at from colorbook_stories where project_id = ${id} order by position, id`,
    sql!`select id, project_id, position, story_id, file_id, kind, prompt, provider, model, width, height, style_id, character_ids, version, created_at, updated_at from colorbook_images where project_id = ${id} order by position, id`,
    sql!`select id, project_id, position, title, preview_file_id, byte_size, version, created_at, updated_at, strokes::text as strokes from colorbook_drawings where project_id = ${id} order by position, id`,
  ])
  const drawingJson = drawings.map(({ strokes, ...fields }) => `${JSON.stringify(fields).slice(0, -1)},"strokes":${strokes as string}}`)
  return reply.type('application/json').send(`${JSON.stringify({ ...project, stories, images }).slice(0, -1)},"drawings":[${drawingJson.join(',')}]}`)
})

exitOnShutdown(async () => {
  await app.close()
  await sql?.end({ timeout: 5 })
})

async function start(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim()
  if (!url) throw new Error('DATABASE_URL is not set: the bench passes the run\'s database to every server')
  const target = postgresJsTarget(url)
  sql = postgres(target.url, { ...target.options, max: Number(process.env.DATABASE_POOL_SIZE?.trim() || 10), onnotice: () => {}, connection: { application_name: 'plinth-bench-bare' } })
  const [book] = await sql<{ id: string }[]>`select id from colorbook_projects where title = 'Bench 50 pages' and trashed_at is null order by created_at desc limit 1`
  if (!book) throw new Error('no "Bench 50 pages" project: the colorbook server seeds it, so run the colorbook scenarios first (they precede bare-document)')
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, projectId: book.id, database: 'postgres' })
}

start().catch((error: unknown) => failStartup(error, () => void sql?.end({ timeout: 1 })))
