import { readFile } from 'node:fs/promises'
import openapiTS, { COMMENT_HEADER, astToString, type OpenAPI3 } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENT_TYPES_PATH, clientTypes, openApiDocument } from '../../scripts/client-types.js'
import { TEST_SECRETS } from '../helpers/app.js'
import { closeTestDatabase, testDatabase } from '../helpers/database.js'

/** CI fails here when a route changed and `npm run client:generate` was not run (and the result committed). */
describe('packages/client/src/schema.d.ts', () => {
  let document: OpenAPI3
  let generated: string
  beforeAll(async () => {
    // The worker's database already holds the suite's key check value: boot with the suite's key.
    document = await openApiDocument(await testDatabase(), { migrate: false, encryptionKey: TEST_SECRETS.ENCRYPTION_KEY })
    generated = clientTypes(document)
  }, 120_000)
  afterAll(closeTestDatabase)

  it('is what the OpenAPI document the app serves generates (npm run client:generate)', async () => {
    const committed = await readFile(CLIENT_TYPES_PATH, 'utf8')
    if (committed === generated) return
    const lines = [committed.split('\n'), generated.split('\n')] as const
    const at = lines[0].findIndex((line, i) => line !== lines[1][i])
    expect.fail(`packages/client/src/schema.d.ts is out of date: run npm run client:generate and commit it. First difference at line ${at + 1}:\n- ${lines[0][at]}\n+ ${lines[1][at]}`)
  })

  it('is what openapi-typescript itself makes of the document (the generator skips only its Redocly lint and bundle pass)', async () => {
    expect(generated).toBe(`${COMMENT_HEADER}${astToString(await openapiTS(structuredClone(document), { silent: true }))}`)
  }, 120_000)
})
