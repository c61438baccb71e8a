import { measureLoop, strokesOfSize, type LoopWorker } from '../lib/colorbook.js'
import { field, httpScenario, readyString, type Scenario, type Target } from './scenario.js'

/**
 * The ColorBook module (servers/colorbook.ts seeds the books; bench/README.md, *ColorBook*):
 *
 * - `colorbook-project`: `GET /api/projects/:id?include=stories,images,drawings` of a 50-page book: req/s
 *   and p99, against `bare-pk` (one row by primary key on bare Fastify + postgres.js: no goal, the
 *   whole document is four queries and 75 children);
 * - `colorbook-story-patch`: `PATCH /api/stories/:id {text, version}`, each of 32 workers on its own story,
 *   sending the version the previous answer gave (a closed loop: a repeated body would be stale), against `bare-insert`;
 * - `colorbook-duplicate`: `POST /api/projects/:id/duplicate` of a 100-page book, 2 at a time (goal p99 < 300 ms);
 * - `colorbook-sync`: a new device's first `GET /api/sync/changes?limit=1000` (1,000 changes): p99;
 * - `colorbook-drawing-put`: `PUT /api/drawings/:id` with 1 MB of strokes, 4 at a time: p99 and the
 *   server's peak RSS over its RSS at the start (goal ≤ 64 MiB).
 */

const PATCH_WORKERS = 32
const DUPLICATE_WORKERS = 2
const DRAWING_WORKERS = 4
const DRAWING_BYTES = 1_000_000
const DUPLICATE_P99_GOAL_MS = 300
const DRAWING_PEAK_GOAL_MIB = 64
const SYNC_PAGE = 1000

const token = (target: Target): string => readyString(target, 'accessToken')
const auth = (target: Target): Record<string, string> => ({ authorization: `Bearer ${token(target)}` })

function storyIds(target: Target): string[] {
  const ids = target.ready.storyIds
  if (!Array.isArray(ids) || ids.length < PATCH_WORKERS || !ids.every((id) => typeof id === 'string')) throw new Error(`the ready line needs ${PATCH_WORKERS} storyIds`)
  return ids
}

/** Fails unless the request answers 2xx with the given check passing. */
async function expectOk(target: Target, method: string, path: string, body: unknown, check: (json: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, target.url), { method, headers: { ...auth(target), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await response.text()
  const json = response.ok ? (JSON.parse(text) as Record<string, unknown>) : {}
  if (!response.ok || !check(json)) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 400)}`)
  return json
}

/** A worker editing one row: each request carries the version the previous answer returned. */
function versionedWorker(path: string, version: number, body: () => Record<string, unknown>, method: 'PATCH' | 'PUT'): LoopWorker {
  let current = version
  return {
    next: () => ({ method, path, body: JSON.stringify({ ...body(), version: current }) }),
    answered: (answer) => {
      if (typeof answer.version === 'number') current = answer.version
    },
  }
}

async function currentVersion(target: Target, path: string): Promise<number> {
  const row = await expectOk(target, 'GET', path, undefined, (json) => typeof json.version === 'number')
  return row.version as number
}

export const colorbookProject = httpScenario({
  key: 'colorbook-project',
  label: 'project with children',
  title: 'Plinth GET /api/projects/:id?include=stories,images,drawings (50 pages)',
  server: 'colorbook',
  againstBaseline: false,
  compareTo: ['bare-document', 'bare-pk'],
  latencyComparedTo: ['bare-document'],
  request: (target) => ({ url: `/api/projects/${readyString(target, 'pageProjectId')}?include=stories,images,drawings`, headers: auth(target) }),
  verify: (body) => {
    const [stories, images, drawings] = ['stories', 'images', 'drawings'].map((name) => field(body, name))
    return [stories, images, drawings].every((list) => Array.isArray(list) && list.length === 25) ? undefined : 'expected 25 stories, images and drawings'
  },
})

/** The floor under `colorbook-project`: the same document from the same four queries on bare Fastify + postgres.js (servers/bare-fastify-document.ts). */
export const bareDocument = httpScenario({
  key: 'bare-document',
  label: 'bare document',
  title: 'bare Fastify GET /projects/:id (the same four queries, postgres.js)',
  server: 'bare-fastify-document',
  againstBaseline: false,
  request: (target) => ({ url: `/projects/${readyString(target, 'projectId')}` }),
  verify: (body) => {
    const [stories, images, drawings] = ['stories', 'images', 'drawings'].map((name) => field(body, name))
    return [stories, images, drawings].every((list) => Array.isArray(list) && list.length === 25) ? undefined : 'expected 25 stories, images and drawings'
  },
})

export const colorbookStoryPatch: Scenario = {
  key: 'colorbook-story-patch',
  label: 'story PATCH',
  title: 'Plinth PATCH /api/stories/:id (version checked), 32 stories',
  server: 'colorbook',
  againstBaseline: false,
  compareTo: ['bare-insert'],
  latencyComparedTo: ['bare-insert'],
  connections: () => PATCH_WORKERS,
  check: async (target) => {
    const id = storyIds(target)[0]!
    await expectOk(target, 'PATCH', `/api/stories/${id}`, { text: 'checked', version: await currentVersion(target, `/api/stories/${id}`) }, (json) => typeof json.version === 'number')
  },
  measure: async (target, load) => {
    let edit = 0
    const ids = storyIds(target).slice(0, PATCH_WORKERS)
    const workers = await Promise.all(ids.map(async (id) => versionedWorker(`/api/stories/${id}`, await currentVersion(target, `/api/stories/${id}`), () => ({ text: `edit ${++edit} ${'the fox ran through the woods. '.repeat(10)}` }), 'PATCH')))
    return measureLoop(target.url, auth(target), workers, load.durationSeconds)
  },
}

export const colorbookDuplicate: Scenario = {
  key: 'colorbook-duplicate',
  label: 'duplicate 100 pages',
  title: 'Plinth POST /api/projects/:id/duplicate (100 pages), 2 at a time',
  server: 'colorbook',
  againstBaseline: false,
  connections: () => DUPLICATE_WORKERS,
  limits: [{ what: 'p99', unit: 'ms', comparison: '<', limit: DUPLICATE_P99_GOAL_MS, value: (m) => m.latencyP99Ms }],
  check: async (target) => {
    await expectOk(target, 'POST', `/api/projects/${readyString(target, 'bookProjectId')}/duplicate`, {}, (json) => typeof json.id === 'string')
  },
  measure: (target, load) => {
    const path = `/api/projects/${readyString(target, 'bookProjectId')}/duplicate`
    const workers = Array.from({ length: DUPLICATE_WORKERS }, (): LoopWorker => ({ next: () => ({ method: 'POST', path, body: '{}' }) }))
    return measureLoop(target.url, auth(target), workers, load.durationSeconds)
  },
}

export const colorbookSync = httpScenario({
  key: 'colorbook-sync',
  label: 'sync 1,000 changes',
  title: `Plinth GET /api/sync/changes?limit=${SYNC_PAGE} (a new device's first pull)`,
  server: 'colorbook',
  againstBaseline: false,
  connections: () => 4,
  request: (target) => ({ url: `/api/sync/changes?limit=${SYNC_PAGE}`, headers: auth(target) }),
  verify: (body) => {
    const changes = field(body, 'changes')
    return Array.isArray(changes) && changes.length === SYNC_PAGE && typeof field(body, 'cursor') === 'string' ? undefined : `expected ${SYNC_PAGE} changes and a cursor`
  },
})

export const colorbookDrawingPut: Scenario = {
  key: 'colorbook-drawing-put',
  label: 'drawing PUT 1 MB',
  title: 'Plinth PUT /api/drawings/:id with 1 MB of strokes, 4 drawings at a time',
  server: 'colorbook',
  againstBaseline: false,
  connections: () => DRAWING_WORKERS,
  limits: [{ what: 'peak RSS over start', unit: 'MiB', comparison: '≤', limit: DRAWING_PEAK_GOAL_MIB, value: (m) => (m.rss ? (m.rss.peakBytes - m.rss.startBytes) / 2 ** 20 : undefined) }],
  check: async (target) => {
    const path = `/api/drawings/${drawingIds(target)[0]!}`
    await expectOk(target, 'PUT', path, { strokes: strokesOfSize(DRAWING_BYTES), version: await currentVersion(target, path) }, (json) => typeof json.version === 'number')
  },
  measure: async (target, load) => {
    const strokes = strokesOfSize(DRAWING_BYTES)
    const paths = drawingIds(target).map((id) => `/api/drawings/${id}`)
    const workers = await Promise.all(paths.map(async (path) => versionedWorker(path, await currentVersion(target, path), () => ({ strokes }), 'PUT')))
    return measureLoop(target.url, auth(target), workers, load.durationSeconds, new URL('/api/bench/stats', target.url))
  },
}

function drawingIds(target: Target): string[] {
  const ids = target.ready.drawingIds
  if (!Array.isArray(ids) || ids.length < DRAWING_WORKERS || !ids.every((id) => typeof id === 'string')) throw new Error(`the ready line needs ${DRAWING_WORKERS} drawingIds`)
  return ids
}
