/**
 * `npm run client:generate`: writes packages/client/src/schema.d.ts from the OpenAPI document the app
 * serves. Builds the app in-process on an embedded PostgreSQL server in a throwaway DATA_DIR (no
 * environment read, ./data untouched), as scripts/openapi-lint.ts does. Commit the result:
 * test/client/types-up-to-date.test.ts fails when it differs from the document.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { createDatabase } from '../src/core/db/client.js'
import { CLIENT_TYPES_PATH, clientTypes, openApiDocument } from './client-types.js'

async function main(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'plinth-client-generate-'))
  try {
    const database = await createDatabase({ url: undefined, poolSize: 1, dataDir: join(workDir, 'data') })
    let types: string
    try {
      types = clientTypes(await openApiDocument(database, { migrate: true }))
    } finally {
      await database.close()
    }
    const before = await readFile(CLIENT_TYPES_PATH, 'utf8').catch(() => '')
    const path = relative(process.cwd(), CLIENT_TYPES_PATH)
    if (before === types) return console.log(`${path} is up to date`)
    await writeFile(CLIENT_TYPES_PATH, types)
    console.log(`${path} written (${Math.round(types.length / 1024)} KiB)`)
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
