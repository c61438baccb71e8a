import { afterAll, afterEach } from 'vitest'
import { installResponseContract, takeContractGaps } from './helpers/response-contract.js'

// Every status a route answers in a test must be declared in the OpenAPI document (test/helpers/response-contract.ts).
installResponseContract()

function assertNoGaps(): void {
  const gaps = [...new Set(takeContractGaps())]
  if (gaps.length > 0) throw new Error(`Statuses answered but not declared in the OpenAPI document:\n  ${gaps.join('\n  ')}`)
}
afterEach(assertNoGaps)
afterAll(assertNoGaps)
