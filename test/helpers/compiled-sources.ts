import { copyFileSync, readdirSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import type * as Esbuild from 'esbuild'

const root = join(import.meta.dirname, '..', '..')

/**
 * Compiles src/ once per run for the tests that start `src/server.ts` or `src/cli.ts` as processes.
 *
 * Why: under `node --import tsx` every child process resolves and transforms ~300 modules through
 * tsx's loader hooks, about three times as long as loading the same modules already compiled; the
 * suite starts some fifty such processes. The compiler is the esbuild tsx itself runs the sources with
 * (its own copy, not the one drizzle-kit brings), file by file and unbundled as `tsc -b` lays out
 * dist/, so the child runs exactly the code `--import tsx` would.
 *
 * `dir` becomes a stand-in project root: `dir/src/**.js`, a copy of package.json (`"type": "module"`;
 * the version the app reports; `projectRoot()` stops at it) and links to node_modules and drizzle/.
 * Returns false, having compiled nothing usable, when esbuild refuses a file (a half-written one of a
 * colleague): the children then run under tsx as before, and whatever is broken fails there.
 */
export async function compileSources(dir: string): Promise<boolean> {
  try {
    const esbuild = createRequire(join(root, 'node_modules', 'tsx', 'package.json'))('esbuild') as typeof Esbuild
    const entryPoints = sources(join(root, 'src'))
    await esbuild.build({ entryPoints, outdir: join(dir, 'src'), outbase: join(root, 'src'), format: 'esm', platform: 'node', target: 'node20', tsconfig: join(root, 'tsconfig.json'), logLevel: 'silent' })
    copyFileSync(join(root, 'package.json'), join(dir, 'package.json'))
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
    symlinkSync(join(root, 'drizzle'), join(dir, 'drizzle'), 'dir')
    return true
  } catch (error) {
    console.warn(`test/global-setup: src/ did not compile, child processes run under tsx:\n${(error as Error).message}`)
    return false
  }
}

/** The `.ts` files under `folder` that the built app contains (tsconfig.build.json: no tests, no declarations). */
function sources(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

/** `src/server.ts` → `<dir>/src/server.js`. */
export function compiledPath(dir: string, script: string): string {
  const path = relative('src', script)
  if (path.startsWith('..') || !path.endsWith('.ts')) throw new Error(`${script} is not a source under src/`)
  return join(dir, 'src', `${path.slice(0, -3)}.js`)
}
