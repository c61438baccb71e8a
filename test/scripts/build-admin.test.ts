import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { isUpToDate, precompress, sourceHash } from '../../scripts/build-admin.js'

/** A stand-in for packages/ with an admin console and the client it bundles. */
function packages(): { admin: string; client: string } {
  const root = mkdtempSync(join(tmpdir(), 'plinth-build-admin-'))
  const admin = join(root, 'admin')
  const client = join(root, 'client')
  mkdirSync(join(admin, 'src', 'pages'), { recursive: true })
  mkdirSync(join(client, 'src'), { recursive: true })
  writeFileSync(join(admin, 'package.json'), '{"name":"@plinth/admin"}')
  writeFileSync(join(admin, 'index.html'), '<div id="app"></div>')
  writeFileSync(join(admin, 'src', 'main.ts'), 'mount()')
  writeFileSync(join(admin, 'src', 'pages', 'Users.svelte'), '<h1>Users</h1>')
  writeFileSync(join(client, 'src', 'auth.ts'), 'export {}')
  return { admin, client }
}

function stamp(admin: string): void {
  mkdirSync(join(admin, 'dist'), { recursive: true })
  writeFileSync(join(admin, 'dist', 'index.html'), '<built>')
  writeFileSync(join(admin, 'dist', '.build-stamp'), `${sourceHash(admin)}\n`)
}

describe('scripts/build-admin', () => {
  it('is up to date while the stamp matches the sources, and stale after any change to them or to the client', () => {
    const { admin, client } = packages()
    expect(isUpToDate(admin)).toBe(false)
    stamp(admin)
    expect(isUpToDate(admin)).toBe(true)
    writeFileSync(join(admin, 'src', 'pages', 'Users.svelte'), '<h1>People</h1>')
    expect(isUpToDate(admin)).toBe(false)
    stamp(admin)
    writeFileSync(join(client, 'src', 'auth.ts'), 'export const changed = true')
    expect(isUpToDate(admin)).toBe(false)
    stamp(admin)
    writeFileSync(join(admin, 'src', 'pages', 'New.svelte'), '<h1>New</h1>')
    expect(isUpToDate(admin)).toBe(false)
  })

  it('does not count a build without its index.html as up to date', () => {
    const { admin } = packages()
    mkdirSync(join(admin, 'dist'))
    writeFileSync(join(admin, 'dist', '.build-stamp'), sourceHash(admin))
    expect(isUpToDate(admin)).toBe(false)
  })

  it('hashes the same sources the same way, and differently once a file is added', () => {
    const first = packages()
    const second = packages()
    expect(sourceHash(first.admin)).toBe(sourceHash(second.admin))
    writeFileSync(join(second.admin, 'src', 'Users.svelte'), '<h1>Users</h1>')
    expect(sourceHash(second.admin)).not.toBe(sourceHash(first.admin))
  })

  it('writes gzip and brotli copies of each asset and counts the gzipped JS and CSS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-assets-'))
    writeFileSync(join(dir, 'index-abc.js'), 'console.log(1);'.repeat(100))
    writeFileSync(join(dir, 'index-abc.css'), 'a{color:red}'.repeat(100))
    writeFileSync(join(dir, 'logo.png'), Buffer.from([0x89, 0x50]))
    const { gzipBytes } = precompress(dir)
    expect(gunzipSync(readFileSync(join(dir, 'index-abc.js.gz'))).toString()).toBe('console.log(1);'.repeat(100))
    expect(brotliDecompressSync(readFileSync(join(dir, 'index-abc.css.br'))).toString()).toBe('a{color:red}'.repeat(100))
    expect(() => readFileSync(join(dir, 'logo.png.gz'))).toThrow()
    expect(gzipBytes).toBe(readFileSync(join(dir, 'index-abc.js.gz')).length + readFileSync(join(dir, 'index-abc.css.gz')).length)
  })
})
