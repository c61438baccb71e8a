import type { FastifyInstance } from 'fastify'
import { requireActor } from '../access/require-permission.js'
import { userAccountRoutes } from './user-account.routes.js'
import { userDataRoutes } from './user-data.routes.js'
import { userListRoutes } from './user-list.routes.js'
import { userSessionsRoutes } from './user-sessions.routes.js'
import type { UsersRouteOptions } from './users-routes.shared.js'

export type { UsersRouteOptions } from './users-routes.shared.js'

/** /users: the account list, one account, erasing or exporting an account's data, and ending its sessions. */
export async function usersRoutes(app: FastifyInstance, { users, userData }: UsersRouteOptions): Promise<void> {
  // Anonymous callers learn nothing, not even which inputs are valid (the hook covers every group below).
  app.addHook('preValidation', async (request) => void requireActor(request))
  await app.register(userListRoutes, { users })
  await app.register(userAccountRoutes, { users })
  await app.register(userDataRoutes, { userData })
  await app.register(userSessionsRoutes, { users })
}
