import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root, found from this file both under `src/` (tsx) and `dist/src/` (built). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('Cannot find the project root (package.json)')
    dir = parent
  }
  return dir
}

export const migrationsFolder = (): string => join(projectRoot(), 'drizzle')
