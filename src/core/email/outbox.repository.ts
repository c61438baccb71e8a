import { desc, eq } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { newId } from '../db/columns.js'
import { emailOutbox } from './db/schema.js'

export function createOutboxRepository(db: Db) {
  return {
    async append(message: { to: string; subject: string; text: string; html?: string }): Promise<void> {
      await db.insert(emailOutbox).values({ id: newId(), ...message })
    },
    /** Newest first; ids are UUIDv7, so they order messages written within one millisecond. */
    listFor(to: string) {
      return db.select().from(emailOutbox).where(eq(emailOutbox.to, to)).orderBy(desc(emailOutbox.createdAt), desc(emailOutbox.id))
    },
  }
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>
