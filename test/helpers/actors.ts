import { randomUUID } from 'node:crypto'
import type { Role } from '../../src/core/access/roles.js'

export interface TestActor {
  id: string
  role: Role
  headers: Record<string, string>
}

/** A fresh identity for the fixture authenticator (`x-test-actor`), unique per call. */
export function actor(role: Role = 'user'): TestActor {
  const id = randomUUID()
  return { id, role, headers: { 'x-test-actor': `${id}:${role}` } }
}
