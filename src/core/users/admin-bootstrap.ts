import type { FastifyBaseLogger } from 'fastify'
import type { AuthService } from '../auth/auth.service.js'
import type { UsersRepository } from './users.repository.js'

/**
 * Creates the first administrator from ADMIN_EMAIL/ADMIN_PASSWORD (or `cli create-admin`).
 * Idempotent: an existing account is left as it is — never promoted, since anyone could have
 * registered that address first.
 */
export async function ensureAdmin(
  admin: { email: string; password: string; name?: string },
  auth: AuthService,
  users: UsersRepository,
  log: FastifyBaseLogger,
): Promise<'created' | 'exists'> {
  const existing = await users.findByLogin({ email: admin.email })
  if (existing) {
    if (existing.role !== 'admin') log.warn({ email: admin.email }, 'ADMIN_EMAIL belongs to an existing non-admin account; it was not promoted')
    return 'exists'
  }
  await auth.createAccount({ email: admin.email, password: admin.password, name: admin.name ?? 'Administrator', role: 'admin', emailVerifiedAt: new Date() })
  log.info({ email: admin.email }, 'administrator account created')
  return 'created'
}
