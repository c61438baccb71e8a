/**
 * Deletes the compiled files in dist/ whose TypeScript source is gone.
 *
 * `tsc -b` rebuilds only what changed but never deletes an output, so without this a deleted
 * src/x.ts would leave dist/src/x.js behind, still loadable, in a tree a fresh clone would not have.
 * Only `.js` and `.js.map` files are judged (dist/<path>.js belongs to <path>.ts); anything else in
 * dist/, such as tsc's .tsbuildinfo, is left alone. Runs after `tsc -b` in the `build` and `prestart`
 * scripts (prestart repeats build's line rather than nesting an `npm run`, which would cost a second npm
 * start on every `npm start`); compiled by that tsc into dist/scripts, so plain node runs it.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const OUTPUT = /\.js(\.map)?$/

/** The paths, relative to `root`, of the outputs under root/dist whose source is missing. */
export function staleOutputs(root: string): string[] {
  const dist = join(root, 'dist')
  if (!existsSync(dist)) return []
  return readdirSync(dist, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && OUTPUT.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((output) => !existsSync(join(root, relative('dist', output).replace(OUTPUT, '.ts'))))
}

/** Deletes the stale outputs under root/dist and returns their paths. */
export function pruneDist(root: string): string[] {
  // A deployed dist/ (the Docker image) has no sources beside it: there every output would look stale.
  if (!existsSync(join(root, 'tsconfig.build.json'))) throw new Error(`${root} is not a source checkout (no tsconfig.build.json): nothing pruned`)
  const stale = staleOutputs(root)
  for (const output of stale) rmSync(join(root, output))
  return stale
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Compiled to dist/scripts/prune-dist.js: the project is two folders up.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  for (const output of pruneDist(root)) console.log(`removed ${output} (its source is gone)`)
}
