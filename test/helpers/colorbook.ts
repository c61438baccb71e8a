import { asc, eq } from 'drizzle-orm'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { changes, collaborators, drawings, images, projects, stories, subscriptions } from '../../src/modules/colorbook/db/schema.js'
import type { TestUser } from './auth.js'

export interface TestProject {
  id: string
  ownerId: string
  title: string
  version: number
  role: string
  [key: string]: unknown
}

/** A request as `user` (JSON body when given). */
export const call = (app: FastifyInstance, user: TestUser | undefined, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
  app.inject({ method, url, headers: { ...(user?.headers ?? {}), ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })

let counter = 0

/** Creates a project through the API as `owner`. */
export async function createProject(app: FastifyInstance, owner: TestUser, input: Record<string, unknown> = {}): Promise<TestProject> {
  const response = await call(app, owner, 'POST', '/api/projects', { title: `Book ${++counter}`, ...input })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<TestProject>()
}

/** Adds a story, image or drawing through the API. */
export async function addChild(app: FastifyInstance, user: TestUser, projectId: string, path: 'stories' | 'images' | 'drawings', input: Record<string, unknown> = {}) {
  const response = await call(app, user, 'POST', `/api/projects/${projectId}/${path}`, input)
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; version: number; position: number; [key: string]: unknown }>()
}

const db = (app: FastifyInstance) => app.platform.database.db

/** Shares a project directly (the collaborators routes are another area's). */
export const share = async (app: FastifyInstance, projectId: string, user: TestUser, role: 'editor' | 'viewer'): Promise<void> => {
  await db(app).insert(collaborators).values({ projectId, userId: user.id, role })
}

/** Puts the user on a plan directly (billing is another area's). */
export const setPlan = async (app: FastifyInstance, user: TestUser, planId: 'free' | 'pro' | 'enterprise', status = 'active'): Promise<void> => {
  await db(app).insert(subscriptions).values({ userId: user.id, planId, status }).onConflictDoUpdate({ target: subscriptions.userId, set: { planId, status } })
}

export const storedProject = async (app: FastifyInstance, id: string) => (await db(app).select().from(projects).where(eq(projects.id, id)))[0]
export const projectsOwnedBy = (app: FastifyInstance, ownerId: string) => db(app).select().from(projects).where(eq(projects.ownerId, ownerId))
export const storedStories = (app: FastifyInstance, projectId: string) => db(app).select().from(stories).where(eq(stories.projectId, projectId)).orderBy(asc(stories.position))
export const storedImages = (app: FastifyInstance, projectId: string) => db(app).select().from(images).where(eq(images.projectId, projectId)).orderBy(asc(images.position))
export const storedDrawings = (app: FastifyInstance, projectId: string) => db(app).select().from(drawings).where(eq(drawings.projectId, projectId)).orderBy(asc(drawings.position))
export const setProject = async (app: FastifyInstance, id: string, values: Partial<typeof projects.$inferInsert>): Promise<void> => {
  await db(app).update(projects).set(values).where(eq(projects.id, id))
}

/** The sync log of a project, oldest first, as [entity, op, version] triples plus the entity id. */
export const storedChanges = async (app: FastifyInstance, projectId: string) =>
  (await db(app).select().from(changes).where(eq(changes.projectId, projectId)).orderBy(asc(changes.id))).map((c) => ({ entity: c.entity, entityId: c.entityId, op: c.op, version: c.version }))
