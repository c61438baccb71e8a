import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { appendFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { expect } from 'vitest'

/**
 * The response contract check of the test suite: every status a route of the OpenAPI document
 * answers must be declared for that operation in `app.swagger()`.
 *
 * Every Fastify instance a test creates (buildApp through the helpers or directly) announces itself
 * on the `fastify.initialization` diagnostics channel before any plugin or route is registered; the
 * check adds an onResponse hook to it there, so the hook reaches every encapsulated route without a
 * test-only option in the app. Instances without @fastify/swagger (unit-test servers) are skipped,
 * as are answers of no route (the 404 handler) and of routes the document hides.
 *
 * test/setup-contract.ts installs it for every test file and fails the test (afterEach) or the file
 * (afterAll, for answers given in beforeAll) that received an undeclared status.
 * OPENAPI_CONTRACT_LOG=<file> also appends each gap as a JSON line, to list them over a whole run.
 */

interface Swagger {
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>
}

/** `${METHOD} ${document path}` → the declared status keys ('200', '4XX', 'default'). */
type Declared = Map<string, Set<string>>

const declaredByApp = new WeakMap<FastifyInstance, Declared>()
const gaps: string[] = []
const CHANNEL = 'fastify.initialization'
const STATE = Symbol.for('plinth.test.responseContract')

/** Fastify's `/users/:id` as the document writes it, `/users/{id}` (what @fastify/swagger does). */
export function documentPath(url: string): string {
  return url
    .replace(/(?<!:):([A-Za-z0-9_]+)(\((?:[^()]|\([^()]*\))*\))?/g, '{$1}')
    .replaceAll('::', ':')
    .replaceAll('*', '{*}')
}

function declaredOf(app: FastifyInstance): Declared {
  let declared = declaredByApp.get(app)
  if (declared) return declared
  declared = new Map()
  const document = (app as unknown as { swagger: () => Swagger }).swagger()
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      declared.set(`${method.toUpperCase()} ${path}`, new Set(Object.keys(operation.responses ?? {})))
    }
  }
  declaredByApp.set(app, declared)
  return declared
}

/** The gap this answer shows, if any: its status is not declared for its operation. */
export function undeclaredStatus(app: FastifyInstance, method: string, url: string, status: number): string | undefined {
  const declared = declaredOf(app)
  const path = documentPath(url)
  // Fastify answers HEAD with the GET route's handler; the document lists only the GET.
  const statuses = declared.get(`${method} ${path}`) ?? (method === 'HEAD' ? declared.get(`GET ${path}`) : undefined)
  if (!statuses) return undefined
  const code = String(status)
  if (statuses.has(code) || statuses.has(`${code[0]}XX`) || statuses.has('default')) return undefined
  return `${method} ${path} answered ${code}, declared: ${[...statuses].join(', ')}`
}

/**
 * A status the route's own response schema lists is in the document (@fastify/swagger copies them),
 * so the common answers need no document: it is built (~0.2 s) only for an app that answers another.
 */
function declaredByRoute(request: FastifyRequest, status: number): boolean {
  const response = (request.routeOptions.schema as { response?: Record<string, unknown> } | undefined)?.response
  return response !== undefined && String(status) in response
}

function watch(app: FastifyInstance): void {
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const url = request.routeOptions.url
    if (url !== undefined && !request.is404 && !declaredByRoute(request, reply.statusCode) && typeof (app as { swagger?: unknown }).swagger === 'function') {
      const gap = undeclaredStatus(app, request.method, url, reply.statusCode)
      if (gap) record(gap)
    }
    done()
  })
}

function record(gap: string): void {
  gaps.push(gap)
  const log = process.env.OPENAPI_CONTRACT_LOG
  if (log) appendFileSync(log, `${JSON.stringify({ gap, file: expect.getState().testPath, test: expect.getState().currentTestName })}\n`)
}

const onInitialization = (message: unknown): void => watch((message as { fastify: FastifyInstance }).fastify)

/** Watches every Fastify instance created from now on (once per process: a new file replaces the old subscriber). */
export function installResponseContract(): void {
  const holder = globalThis as { [STATE]?: (message: unknown) => void }
  if (holder[STATE]) unsubscribe(CHANNEL, holder[STATE])
  holder[STATE] = onInitialization
  subscribe(CHANNEL, onInitialization)
}

/** The gaps seen since the last call, cleared. */
export function takeContractGaps(): string[] {
  return gaps.splice(0, gaps.length)
}
