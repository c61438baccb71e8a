import type { UserAdministration } from './user-administration.js'

export type UsersRouteOptions = Pick<UserAdministration, 'users' | 'userData'>

export const tags = ['users']
export const security = [{ bearerAuth: [] }]
