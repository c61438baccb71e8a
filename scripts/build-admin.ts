/**
 * Builds the admin console (packages/admin) into packages/admin/dist when its sources changed.
 *
 * Run by `npm install` (the root `prepare` script, so a fresh clone serves /admin) and before every
 * `npm start` (`prestart`). A hash of the console's sources and build configuration is kept in
 * dist/.build-stamp; when it matches, Vite is not started and this costs a few milliseconds. After a
 * build, each asset gets .br and .gz copies beside it, which the server sends to browsers that accept
 * them (src/core/http/admin-console.ts). A failed build exits non-zero with Vite's output: it is never
 * skipped silently. `--force` builds whatever the stamp says; `--check` only says whether a build is due.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

/** What the build reads, relative to packages/admin: a change to any of these makes the console stale (it bundles @plinth/client's sources). */
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json', '../client/src', '../client/package.json']
const STAMP = '.build-stamp'
const COMPRESSIBLE = /\.(js|css|svg|html|json|txt|map)$/

/** The hash of the console's inputs under `adminDir`, in a stable order. */
export function sourceHash(adminDir: string): string {
  const hash = createHash('sha256')
  for (const file of inputFiles(adminDir)) {
    hash.update(`${relative(adminDir, file)}\0`)
    hash.update(readFileSync(file))
    hash.update('\0')
  }
  return hash.digest('hex')
}

function inputFiles(adminDir: string): string[] {
  const files: string[] = []
  for (const input of INPUTS) {
    const path = join(adminDir, input)
    if (!existsSync(path)) continue
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) if (entry.isFile() && !entry.name.endsWith('.test.ts')) files.push(join(entry.parentPath, entry.name))
    } else files.push(path)
  }
  return files.sort()
}

/** True when dist/ holds a build of exactly these sources. */
export function isUpToDate(adminDir: string): boolean {
  const stamp = join(adminDir, 'dist', STAMP)
  return existsSync(join(adminDir, 'dist', 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sourceHash(adminDir)
}

/** Writes `<file>.gz` and `<file>.br` beside every compressible asset; returns the gzip bytes of the JS and CSS. */
export function precompress(assetsDir: string): { gzipBytes: number } {
  let gzipBytes = 0
  for (const name of readdirSync(assetsDir)) {
    if (!COMPRESSIBLE.test(name)) continue
    const path = join(assetsDir, name)
    const body = readFileSync(path)
    const gzipped = gzipSync(body, { level: 9 })
    writeFileSync(`${path}.gz`, gzipped)
    writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
    if (/\.(js|css)$/.test(name)) gzipBytes += gzipped.length
  }
  return { gzipBytes }
}

function viteBin(adminDir: string): string {
  const manifest = createRequire(join(adminDir, 'package.json')).resolve('vite/package.json')
  return join(dirname(manifest), 'bin', 'vite.js')
}

export function buildAdmin(adminDir: string, { force = false } = {}): 'up-to-date' | 'built' {
  if (!force && isUpToDate(adminDir)) return 'up-to-date'
  const hash = sourceHash(adminDir)
  const started = Date.now()
  const result = spawnSync(process.execPath, [viteBin(adminDir), 'build', '--logLevel', 'warn'], { cwd: adminDir, stdio: 'inherit' })
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status}) in ${adminDir}`)
  const { gzipBytes } = precompress(join(adminDir, 'dist', 'assets'))
  writeFileSync(join(adminDir, 'dist', STAMP), `${hash}\n`)
  console.log(`admin console built in ${((Date.now() - started) / 1000).toFixed(1)} s (${(gzipBytes / 1024).toFixed(1)} KiB of JS and CSS gzipped)`)
  return 'built'
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Run as scripts/build-admin.ts (tsx) or compiled to dist/scripts/build-admin.js: find the root by its package.json.
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  if (!existsSync(join(root, 'packages'))) root = resolve(root, '..')
  const adminDir = join(root, 'packages', 'admin')
  if (!existsSync(join(adminDir, 'package.json'))) {
    console.log('admin console: packages/admin is not here (a deployed build?); nothing to build')
  } else if (process.argv.includes('--check')) {
    const fresh = isUpToDate(adminDir)
    console.log(fresh ? 'admin console is up to date' : 'admin console needs a build')
    process.exitCode = fresh ? 0 : 1
  } else {
    try {
      if (buildAdmin(adminDir, { force: process.argv.includes('--force') }) === 'up-to-date') console.log('admin console is up to date')
    } catch (error) {
      console.error(`admin console: ${(error as Error).message}`)
      process.exitCode = 1
    }
  }
}
