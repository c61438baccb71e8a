import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import type { Db } from '../../src/core/db/client.js'
import { waitFor } from './identity.js'

const db = (app: FastifyInstance) => app.platform.database.db
/** postgres.js answers `execute` with the rows. */
const rowsOf = <Row>(result: unknown): Row[] => result as Row[]

/** What the holding transaction may do before it commits. */
export interface HoldingTransaction {
  /** A sync-log row of a story, as a service logs its write. */
  logChange(projectId: string, entityId: string, op: 'create' | 'update' | 'delete', version: number): Promise<void>
  /** A story's text and version, changed behind the services' back. */
  setStory(storyId: string, text: string, version: number): Promise<void>
}

export interface HeldProjectLock {
  /** The holding transaction's id (xid8, as text). */
  readonly txId: string
  /** Runs `work` in the holding transaction, then commits it (the lock goes with the commit). */
  release(work?: (tx: HoldingTransaction) => Promise<unknown>): Promise<void>
}

const holding = (tx: Db): HoldingTransaction => ({
  logChange: async (projectId, entityId, op, version) => {
    await tx.execute(sql`insert into colorbook_changes (project_id, entity, entity_id, op, version) values (${projectId}, 'story', ${entityId}, ${op}, ${version})`)
  },
  setStory: async (storyId, text, version) => {
    await tx.execute(sql`update colorbook_stories set text = ${text}, version = ${version} where id = ${storyId}`)
  },
})

/**
 * Locks a project's row (`SELECT … FOR UPDATE`, as a write of the project does) in a transaction of
 * its own and keeps it until `release`: writes of that project wait meanwhile.
 */
export async function holdProjectLock(app: FastifyInstance, projectId: string): Promise<HeldProjectLock> {
  let release!: (work: (tx: HoldingTransaction) => Promise<unknown>) => void
  const gate = new Promise<(tx: HoldingTransaction) => Promise<unknown>>((resolve) => (release = resolve))
  let locked!: (txId: string) => void
  const open = new Promise<string>((resolve) => (locked = resolve))
  const held = db(app).transaction(async (tx) => {
    await tx.execute(sql`select id from colorbook_projects where id = ${projectId} for update`)
    const [row] = rowsOf<{ tx: string }>(await tx.execute(sql`select pg_current_xact_id()::text as tx`))
    locked(row!.tx)
    await (await gate)(holding(tx))
  })
  const txId = await Promise.race([open, held.then(() => Promise.reject(new Error('the lock was released before it was held')))])
  return {
    txId,
    release: async (work = async () => undefined) => {
      release(work)
      await held
    },
  }
}

/** Resolves once a statement of the test's database waits for a lock (a write queued behind a held one). */
export async function lockWaiter(app: FastifyInstance): Promise<void> {
  await waitFor(async () => {
    const [row] = rowsOf<{ n: number }>(
      await db(app).execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`),
    )
    return row!.n > 0 ? true : undefined
  })
}

/** The project's sync log in log order (the order the feed reads it: tx_id, then id), with each row's tx_id. */
export async function changeLog(app: FastifyInstance, projectId: string): Promise<{ entityId: string; op: string; version: number; tx: string }[]> {
  return rowsOf(await db(app).execute(sql`select entity_id as "entityId", op, version, tx_id::text as tx from colorbook_changes where project_id = ${projectId} order by tx_id, id`))
}
