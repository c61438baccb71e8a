import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { v7 as uuidv7 } from 'uuid'
import { buildApp } from '../../src/app.js'
import { cylindersModule } from '../../src/modules/cylinders/index.js'
import { appServer, failStartup, printReady } from './lifecycle.js'

/**
 * The app with the cylinders module only, as a depot would run it, signed in as its administrator.
 * It stocks a depot through the API before announcing itself: BENCH_DEPOT_CYLINDERS cylinders
 * (default 10,000) of four gas types, a third of them out at 20 customers, a tenth at refill, a few
 * quarantined — so the inventory summary aggregates something real. The ship scenario brings its
 * own cylinders. CYLINDERS_INVENTORY_CACHE_SECONDS comes from the server definition (0: no cache).
 */
const adminEmail = `depot-${uuidv7()}@example.com`
const adminPassword = `bench-${randomBytes(18).toString('base64url')}`
const GAS_TYPES = ['CO2', 'O2', 'Argon', 'Nitrogen']
const ADD_BATCH = 1000

async function start(): Promise<void> {
  const { config, serve } = appServer('plinth-bench-cyl-', {
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: adminPassword,
    CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: '0',
    CYLINDERS_INVENTORY_CACHE_SECONDS: process.env.CYLINDERS_INVENTORY_CACHE_SECONDS,
  }, [cylindersModule])
  const app = await buildApp(config, { modules: [cylindersModule] })
  serve(app)
  const accessToken = await signIn(app)
  const { stocked, cylinderId } = await stockDepot(app, { authorization: `Bearer ${accessToken}` }, Number(process.env.BENCH_DEPOT_CYLINDERS ?? 10_000))
  await app.listen({ host: config.host, port: config.port })
  const { port } = app.server.address() as AddressInfo
  printReady({ port, accessToken, database: app.platform.database.kind, stocked, cylinderId, inventoryCacheSeconds: (config.moduleSettings.cylinders as { inventoryCacheSeconds: number }).inventoryCacheSeconds })
}

async function signIn(app: FastifyInstance): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: adminEmail, password: adminPassword } })
  if (response.statusCode !== 200) throw new Error(`POST /api/auth/login answered ${response.statusCode}: ${response.body}`)
  return response.json<{ accessToken: string }>().accessToken
}

async function call(app: FastifyInstance, headers: Record<string, string>, url: string, payload: unknown): Promise<unknown> {
  const response = await app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> })
  if (response.statusCode >= 300) throw new Error(`POST ${url} answered ${response.statusCode}: ${response.body.slice(0, 500)}`)
  return response.json()
}

/** Returns how many it stocked and the id of one still available (the read-by-id scenario's). */
async function stockDepot(app: FastifyInstance, headers: Record<string, string>, total: number): Promise<{ stocked: number; cylinderId: string }> {
  let cylinderId: string | undefined
  const customers: string[] = []
  for (let i = 0; i < 20; i++) customers.push(((await call(app, headers, '/api/cylinders/locations', { name: `Customer ${i} ${uuidv7()}`, kind: 'customer' })) as { id: string }).id)
  const station = ((await call(app, headers, '/api/cylinders/locations', { name: `Refill station ${uuidv7()}`, kind: 'refill_station' })) as { id: string }).id
  const nextTestDue = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10)
  for (let added = 0; added < total; added += ADD_BATCH) {
    const cylinders = Array.from({ length: Math.min(ADD_BATCH, total - added) }, (_, i) => ({
      serialNumber: `DEPOT-${uuidv7()}`,
      gasType: GAS_TYPES[(added + i) % GAS_TYPES.length]!,
      capacityLiters: 50,
      nextTestDue,
    }))
    const { items } = (await call(app, headers, '/api/cylinders/add', { cylinders })) as { items: { id: string }[] }
    const ids = items.map((c) => c.id)
    cylinderId ??= ids[ids.length - Math.floor(ids.length / 50) - 1]
    // A third out at customers, a tenth at refill, one in fifty quarantined; the rest stay available.
    const out = ids.slice(0, Math.floor(ids.length / 3))
    for (let i = 0; i < out.length; i += 250) await call(app, headers, '/api/cylinders/ship', { cylinderIds: out.slice(i, i + 250), locationId: customers[(added / ADD_BATCH + i) % customers.length] })
    const refill = ids.slice(out.length, out.length + Math.floor(ids.length / 10))
    await call(app, headers, '/api/cylinders/ship', { cylinderIds: refill, sentTo: 'Walk-in customers' })
    await call(app, headers, '/api/cylinders/return', { cylinderIds: refill })
    await call(app, headers, '/api/cylinders/refill/send', { cylinderIds: refill, locationId: station })
    await call(app, headers, '/api/cylinders/quarantine', { cylinderIds: ids.slice(-Math.floor(ids.length / 50)), reason: 'valve check' })
  }
  if (!cylinderId) throw new Error(`BENCH_DEPOT_CYLINDERS=${total}: stock at least one cylinder`)
  return { stocked: total, cylinderId }
}

start().catch((error: unknown) => failStartup(error))
