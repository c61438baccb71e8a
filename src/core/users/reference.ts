import { users } from './db/schema.js'

/**
 * The one reference a module's table may hold to a core table: a foreign key to an account's id,
 * `uuid('worker_id').references(userIdReference)`. Safe because ids are never deleted (erasing an
 * account keeps its row); everything else about users a module reads through `ctx.users`.
 */
export const userIdReference = () => users.id
