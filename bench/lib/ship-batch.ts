import { randomUUID } from 'node:crypto'
import type { Target } from '../scenarios/scenario.js'
import type { Measurement } from './autocannon.js'
import { postJson } from './control.js'

/** One pool of cylinders shipped as one batch per cycle, then brought back untimed (return, refill). */
export interface ShipBatchOptions {
  readonly batchSize: number
  readonly cycles: number
}

/**
 * Adds `batchSize` cylinders, then `cycles` times: ships them all in one POST /api/cylinders/ship
 * (timed, a customer as destination), then returns, sends to refill and receives them (untimed) so
 * the next cycle ships the same cylinders again. One batch at a time: the latency of a worker's
 * batch on a quiet depot. Cylinders/s = batch size ÷ mean ship latency.
 */
export async function measureShipBatches(target: Target, options: ShipBatchOptions): Promise<Measurement> {
  const token = target.ready.accessToken
  if (typeof token !== 'string') throw new Error(`the ready line has no accessToken: ${JSON.stringify(target.ready)}`)
  const headers = { authorization: `Bearer ${token}` }
  const post = (path: string, body: unknown) => postJson(new URL(path, target.url), body, headers)
  const nextTestDue = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10)
  const cylinders = Array.from({ length: options.batchSize }, () => ({ serialNumber: `BATCH-${randomUUID()}`, gasType: 'CO2', nextTestDue }))
  const added = (await post('/api/cylinders/add', { cylinders })) as unknown as { items: { qrCode: string; id: string }[] }
  const qrCodes = added.items.map((c) => c.qrCode)
  const cylinderIds = added.items.map((c) => c.id)
  const customer = (await post('/api/cylinders/locations', { name: `Bench customer ${randomUUID()}`, kind: 'customer' })) as unknown as { id: string }
  const station = (await post('/api/cylinders/locations', { name: `Bench station ${randomUUID()}`, kind: 'refill_station' })) as unknown as { id: string }

  const latencies: number[] = []
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const started = performance.now()
    const shipment = (await post('/api/cylinders/ship', { qrCodes, locationId: customer.id, clientBatchId: randomUUID() })) as unknown as { count: number }
    latencies.push(performance.now() - started)
    if (shipment.count !== options.batchSize) throw new Error(`the batch moved ${shipment.count} cylinders, expected ${options.batchSize}`)
    await post('/api/cylinders/return', { cylinderIds })
    await post('/api/cylinders/refill/send', { cylinderIds, locationId: station.id })
    await post('/api/cylinders/refill/receive', { cylinderIds })
  }
  const sorted = [...latencies].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
  const meanMs = latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length
  return {
    connections: 1,
    requestsPerSecond: 1000 / meanMs,
    latencyP50Ms: at(0.5),
    latencyP99Ms: at(0.99),
    totalRequests: latencies.length,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: { '201': latencies.length },
    batch: { size: options.batchSize, batches: latencies.length, cylindersPerSecond: (options.batchSize * 1000) / meanMs, meanMs },
  }
}
