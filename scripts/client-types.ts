/**
 * The OpenAPI document the app serves, and the TypeScript types `@plinth/client` is generated from
 * (openapi-typescript's Node API). Shared by `npm run client:generate` (scripts/generate-client-types.ts)
 * and the test that fails when the committed types differ from the document
 * (test/client/types-up-to-date.test.ts), so both build the document the same way.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { astToString, COMMENT_HEADER, resolveRef, scanDiscriminators, transformSchema, type GlobalContext, type OpenAPI3 } from 'openapi-typescript'
import { availableModules, buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import type { Database } from '../src/core/db/client.js'

/** Where the generated types are committed. */
export const CLIENT_TYPES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'client', 'src', 'schema.d.ts')

/**
 * `app.swagger()` of the app with every module, on `database` (migrated first with `migrate`). Fixed settings, never the environment:
 * the document must not depend on who generates it (a rate limit turned off in .env drops the 429s).
 */
export async function openApiDocument(database: Database, options: { migrate: boolean; encryptionKey?: string }): Promise<OpenAPI3> {
  const dataDir = await mkdtemp(join(tmpdir(), 'plinth-client-types-'))
  try {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40), ENCRYPTION_KEY: options.encryptionKey ?? '0'.repeat(64) }, { modules: availableModules })
    const app = await buildApp(config, { database, migrate: options.migrate, modules: availableModules })
    try {
      await app.ready()
      return app.swagger() as OpenAPI3
    } finally {
      await app.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

/**
 * The text of packages/client/src/schema.d.ts for `document`, as `openapiTS(document)` would print it
 * with its defaults. openapiTS first lints and bundles the document with Redocly, half of its time on
 * this ~2.3 MB document; the document is generated in memory with internal refs only, and Spectral
 * lints it in CI (`npm run openapi:lint`), so that pass is skipped: the same transform, from the same
 * context (typed as openapi-typescript's GlobalContext, so a new option fails the typecheck).
 */
export function clientTypes(document: OpenAPI3): string {
  const schema = structuredClone(document)
  assertUniqueOperationIds(schema)
  const ctx: GlobalContext = {
    additionalProperties: false,
    alphabetize: false,
    arrayLength: false,
    defaultNonNullable: true,
    discriminators: scanDiscriminators(schema, {}),
    emptyObjectsUnknown: false,
    enum: false,
    enumValues: false,
    conditionalEnums: false,
    dedupeEnums: false,
    excludeDeprecated: false,
    exportType: false,
    immutable: false,
    rootTypes: false,
    rootTypesNoSchemaPrefix: false,
    rootTypesKeepCasing: false,
    injectFooter: [],
    pathParamsAsTypes: false,
    postTransform: undefined,
    propertiesRequiredByDefault: false,
    // Read only by the lint-and-bundle pass skipped here.
    redoc: {} as GlobalContext['redoc'],
    silent: true,
    inject: undefined,
    transform: undefined,
    transformProperty: undefined,
    makePathsEnum: false,
    generatePathParams: false,
    readWriteMarkers: false,
    resolve: ($ref) => resolveRef(schema, $ref, { silent: true }),
  }
  return `${COMMENT_HEADER}${astToString(transformSchema(schema, ctx))}`
}

/** The one Redocly rule openapiTS turns into an error: operation ids name the client's operations. */
function assertUniqueOperationIds(document: OpenAPI3): void {
  const seen = new Set<string>()
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, { operationId?: string } | undefined>)) {
      const id = operation?.operationId
      if (typeof id !== 'string') continue
      if (seen.has(id)) throw new Error(`operationId ${id} is used twice (again by ${method.toUpperCase()} ${path})`)
      seen.add(id)
    }
  }
}
