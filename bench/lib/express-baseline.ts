import { createRequire } from 'node:module'

/**
 * The packages of the seeds' stack (Express 5, `pg`, `jsonwebtoken`, `bcryptjs`) that the Express
 * baseline needs and are not installed. They are devDependencies the bench does not install itself;
 * `pg` is usually there already (pg-boss depends on it). bcryptjs hashes at login in that stack,
 * which neither measured route does, but a baseline "on that stack" should have all of it installed.
 */
export const EXPRESS_BASELINE_PACKAGES = ['express', 'pg', 'jsonwebtoken', 'bcryptjs'] as const

const require = createRequire(import.meta.url)

export function missingExpressBaselinePackages(): string[] {
  return EXPRESS_BASELINE_PACKAGES.filter((name) => {
    try {
      require.resolve(name)
      return false
    } catch {
      return true
    }
  })
}

/** Why the Express baseline scenarios cannot run, or undefined when they can. */
export function expressBaselineUnavailable(): string | undefined {
  const missing = missingExpressBaselinePackages()
  return missing.length === 0 ? undefined : `install ${missing.join(', ')}`
}
