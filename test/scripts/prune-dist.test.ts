import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pruneDist, staleOutputs } from '../../scripts/prune-dist.js'

const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

/** A throwaway checkout holding `files` (empty contents). */
function checkout(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'plinth-prune-'))
  roots.push(root)
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    writeFileSync(join(root, file), '')
  }
  return root
}

describe('pruneDist', () => {
  it('deletes the .js and .js.map of a deleted source, in any folder, and keeps everything else', () => {
    const root = checkout([
      'tsconfig.build.json',
      'src/server.ts',
      'src/core/kept.ts',
      'scripts/prune-dist.ts',
      'dist/src/server.js',
      'dist/src/server.js.map',
      'dist/src/core/kept.js',
      'dist/src/core/deleted.js',
      'dist/src/core/deleted.js.map',
      'dist/src/gone.js',
      'dist/scripts/prune-dist.js',
      'dist/tsconfig.build.tsbuildinfo',
    ])

    expect(pruneDist(root).sort()).toEqual(['dist/src/core/deleted.js', 'dist/src/core/deleted.js.map', 'dist/src/gone.js'])
    expect(existsSync(join(root, 'dist/src/core/deleted.js'))).toBe(false)
    expect(existsSync(join(root, 'dist/src/gone.js'))).toBe(false)
    for (const kept of ['dist/src/server.js', 'dist/src/server.js.map', 'dist/src/core/kept.js', 'dist/scripts/prune-dist.js', 'dist/tsconfig.build.tsbuildinfo']) {
      expect(existsSync(join(root, kept)), kept).toBe(true)
    }
    expect(staleOutputs(root)).toEqual([])
  })

  it('finds nothing to do before the first build', () => {
    expect(pruneDist(checkout(['tsconfig.build.json', 'src/server.ts']))).toEqual([])
  })

  it('refuses a deployed dist/ with no sources beside it, deleting nothing', () => {
    const root = checkout(['dist/src/server.js'])
    expect(() => pruneDist(root)).toThrow(/not a source checkout/)
    expect(existsSync(join(root, 'dist/src/server.js'))).toBe(true)
  })
})
