/**
 * Lints the OpenAPI document the app generates from its route schemas.
 *
 * Builds the real app in-process (an embedded PostgreSQL server in a throwaway DATA_DIR, no env
 * read), writes `app.swagger()` to a temp file and runs Spectral with the repository's `.spectral.yaml`. Exits non-zero when Spectral
 * reports an error, so CI fails on a broken contract.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { availableModules, buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { createDatabase } from '../src/core/db/client.js'
import { notesModule } from '../test/fixtures/notes/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

async function generateDocument(dataDir: string): Promise<unknown> {
  // Fixed secrets and a throwaway data dir: generation must not touch ./data or the environment.
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'x'.repeat(40),
    ENCRYPTION_KEY: '0'.repeat(64),
  }, { modules: [...availableModules, notesModule] })
  const database = await createDatabase({ url: undefined, poolSize: 1, dataDir: config.dataDir })
  try {
    // The fixture resource is added so the resource toolkit's generated routes are linted too.
    const app = await buildApp(config, { database, modules: [...availableModules, notesModule] })
    try {
      await app.ready()
      return app.swagger()
    } finally {
      await app.close()
    }
  } finally {
    await database.close()
  }
}

function runSpectral(documentPath: string): number {
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'spectral'),
    ['lint', documentPath, '--ruleset', join(root, '.spectral.yaml'), '--fail-severity', 'error'],
    { cwd: root, stdio: 'inherit' },
  )
  if (result.error) throw result.error
  return result.status ?? 1
}

async function main(): Promise<number> {
  const workDir = await mkdtemp(join(tmpdir(), 'plinth-openapi-'))
  try {
    const document = await generateDocument(join(workDir, 'data'))
    const documentPath = join(workDir, 'openapi.json')
    await writeFile(documentPath, `${JSON.stringify(document, null, 2)}\n`)
    console.log(`OpenAPI document written to ${documentPath}; linting with Spectral (.spectral.yaml)`)
    return runSpectral(documentPath)
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  },
)
