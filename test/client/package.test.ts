import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type * as Esbuild from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const clientDir = join(root, 'packages', 'client')

describe('the @plinth/client package', () => {
  it('bundles for browsers: nothing but its own sources and openapi-fetch, no Node built-in', async () => {
    // The esbuild tsx runs on (test/helpers/compiled-sources.ts does the same).
    const esbuild = createRequire(join(root, 'node_modules', 'tsx', 'package.json'))('esbuild') as typeof Esbuild
    const result = await esbuild.build({ entryPoints: [join(clientDir, 'src', 'index.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, metafile: true, logLevel: 'silent', absWorkingDir: root })
    const outside = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('packages/client/src/') && !input.startsWith('node_modules/openapi-fetch/'))
    expect(outside).toEqual([])
  })

  it('exports its build and, under the "source" condition, its sources', () => {
    const manifest = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8')) as { type: string; exports: Record<string, Record<string, string>> }
    expect(manifest.type).toBe('module')
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', source: './src/index.ts', default: './dist/index.js' })
    expect(existsSync(join(clientDir, 'src', 'index.ts'))).toBe(true)
  })
})
