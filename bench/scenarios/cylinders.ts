import { measureShipBatches } from '../lib/ship-batch.js'
import { field, httpScenario, readyString, type Scenario } from './scenario.js'

const SHIP_P99_GOAL_MS = 300
const BATCH_SIZE = 500
const CYCLES = 30

/** Throws unless the server is the stocked cylinders server. */
async function checkDepot(target: { ready: Record<string, unknown> }): Promise<void> {
  if (typeof target.ready.stocked !== 'number') throw new Error(`not the cylinders server: ${JSON.stringify(target.ready)}`)
}

/**
 * A worker's 500-cylinder ship batch (POST /api/cylinders/ship with 500 scanned codes): every cylinder
 * locked and checked, then moved, the shipment with 500 items and 500 history events written, all in
 * one transaction; the cylinders are brought back untimed between batches (lib/ship-batch.ts).
 */
export const shipBatch: Scenario = {
  key: 'ship-batch',
  label: 'ship 500',
  title: 'Plinth POST /api/cylinders/ship, 500 cylinders per batch',
  server: 'cylinders',
  againstBaseline: false,
  connections: () => 1,
  limits: [{ what: 'p99 of a 500-cylinder ship batch', unit: 'ms', comparison: '<', limit: SHIP_P99_GOAL_MS, value: (m) => m.latencyP99Ms }],
  check: checkDepot,
  measure: (target) => measureShipBatches(target, { batchSize: BATCH_SIZE, cycles: CYCLES }),
}

const inventoryRequest = (target: Parameters<typeof readyString>[0]) => ({ url: '/api/admin/inventory', headers: { authorization: `Bearer ${readyString(target, 'accessToken')}` } })
const verifyInventory = (body: unknown) => (typeof field(body, 'total') === 'number' ? undefined : 'expected an inventory summary')

/** GET /api/admin/inventory over a stocked depot (10,000 cylinders), answered from the cache. */
export const inventoryCached = httpScenario({
  key: 'inventory-cached',
  label: 'inventory (cached)',
  title: 'Plinth GET /api/admin/inventory, cached',
  server: 'cylinders',
  compareTo: ['inventory-uncached'],
  request: inventoryRequest,
  verify: verifyInventory,
})

/** The same with CYLINDERS_INVENTORY_CACHE_SECONDS=0: every request aggregates the depot in SQL. */
export const inventoryUncached = httpScenario({
  key: 'inventory-uncached',
  label: 'inventory (no cache)',
  title: 'Plinth GET /api/admin/inventory, no cache',
  server: 'cylinders-nocache',
  request: inventoryRequest,
  verify: verifyInventory,
})
