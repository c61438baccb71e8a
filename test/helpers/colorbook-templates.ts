import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { branding, characters, stylePresets, templateRatings, templates, usageEvents } from '../../src/modules/colorbook/db/schema.js'

/** What the templates, characters and branding tests read back from the database. */
const db = (app: FastifyInstance) => app.platform.database.db

export const storedTemplate = async (app: FastifyInstance, id: string) => (await db(app).select().from(templates).where(eq(templates.id, id)))[0]
export const templatesOfProject = (app: FastifyInstance, projectId: string) => db(app).select().from(templates).where(eq(templates.sourceProjectId, projectId))
export const ratingsOf = (app: FastifyInstance, templateId: string) => db(app).select().from(templateRatings).where(eq(templateRatings.templateId, templateId))
export const ratingsBy = (app: FastifyInstance, userId: string) => db(app).select().from(templateRatings).where(eq(templateRatings.userId, userId))
export const storedCharacters = (app: FastifyInstance, projectId: string) => db(app).select().from(characters).where(eq(characters.projectId, projectId))
export const storedStyles = (app: FastifyInstance, projectId: string) => db(app).select().from(stylePresets).where(eq(stylePresets.projectId, projectId))
export const storedBranding = async (app: FastifyInstance, userId: string) => (await db(app).select().from(branding).where(eq(branding.userId, userId)))[0]
export const usageEventsAbout = async (app: FastifyInstance, entityId: string) =>
  (await db(app).select().from(usageEvents).where(eq(usageEvents.entityId, entityId)).orderBy(usageEvents.id)).map((e) => ({ type: e.type, userId: e.userId, metadata: e.metadata }))
