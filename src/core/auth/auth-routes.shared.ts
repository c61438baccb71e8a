import type { Identity } from './identity.js'

/** What every auth route group is registered with. */
export interface AuthGroupOptions {
  identity: Identity
}

export const tags = ['auth']
export const security = [{ bearerAuth: [] }]
