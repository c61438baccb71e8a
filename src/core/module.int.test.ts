import type { FastifyInstance } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp, availableModules } from '../app.js'
import { testConfig } from '../../test/helpers/app.js'
import { closeTestDatabase, testDatabase } from '../../test/helpers/database.js'
import { headerActor } from '../../test/fixtures/notes/index.js'
import { requirePermission } from './access/require-permission.js'
import { AppError } from './errors/app-error.js'
import { filesPermissions } from './files/permissions.js'
import { errorResponses } from './http/schemas.js'
import { defineModule, type ModuleDefinition } from './module.js'
import { corePermissions } from './users/permissions.js'

const apps: FastifyInstance[] = []
afterAll(async () => {
  for (const app of apps) await app.close()
  await closeTestDatabase()
})

async function boot(env: Record<string, string>, modules?: readonly ModuleDefinition[]): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(env), { database: await testDatabase(), migrate: false, authenticate: headerActor, ...(modules ? { modules } : {}) })
  apps.push(app)
  await app.ready()
  return app
}

/** Permission keys the app declared beyond the platform's own: the enabled modules'. */
const platformKeys = new Set([...corePermissions, ...filesPermissions].map((p) => p.key))
const moduleKeys = (app: FastifyInstance): string[] =>
  app.platform.access
    .list()
    .map((p) => p.key)
    .filter((key) => !platformKeys.has(key))
    .sort()

const pingModule = (name: string, permission = `${name}:ping`) =>
  defineModule({
    name,
    permissions: [{ key: `${name}:ping`, description: 'Ping', roles: ['admin'] }],
    errors: { [`${name.toUpperCase()}_SLEEPING`]: { status: 409, message: 'The module is asleep.' } },
    createApi: (ctx) => ({ access: ctx.access, hello: `hello from ${name}` }),
    routes: (api) => async (app) => {
      app.get(`/${name}/ping`, { preHandler: requirePermission(api.access, permission) }, async () => ({ message: api.hello }))
      app.get(`/${name}/sleep`, { schema: { response: errorResponses(409) } }, async () => {
        throw new AppError(`${name.toUpperCase()}_SLEEPING`)
      })
    },
  })

describe('module contract', () => {
  it('ships the cylinders module, enabled unless MODULES says otherwise', async () => {
    expect(availableModules.map((m) => m.name)).toEqual(['cylinders'])
    const all = await boot({})
    expect((await all.inject({ url: '/api/cylinders' })).statusCode).toBe(401)
    expect(moduleKeys(all)).toEqual(['cylinders:locations', 'cylinders:manage', 'cylinders:move', 'cylinders:read', 'cylinders:reports'])
    const none = await boot({ MODULES: 'none' })
    expect((await none.inject({ url: '/api/cylinders' })).statusCode).toBe(404)
    expect(moduleKeys(none)).toEqual([])
  })

  it('boots with no modules', async () => {
    const app = await boot({ MODULES: 'none' }, [pingModule('alpha')])
    expect((await app.inject({ url: '/api/alpha/ping' })).statusCode).toBe(404)
    expect(moduleKeys(app)).toEqual([])
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200)
  })

  it('registers enabled modules under /api with their permissions and error codes', async () => {
    const app = await boot({}, [pingModule('alpha')])
    const admin = { 'x-test-actor': '0190a000-0000-7000-8000-000000000001:admin' }
    const user = { 'x-test-actor': '0190a000-0000-7000-8000-000000000002:user' }
    expect((await app.inject({ url: '/api/alpha/ping', headers: admin })).json()).toEqual({ message: 'hello from alpha' })
    expect((await app.inject({ url: '/api/alpha/ping', headers: user })).statusCode).toBe(403)
    expect((await app.inject({ url: '/api/alpha/ping' })).statusCode).toBe(401)
    const sleeping = await app.inject({ url: '/api/alpha/sleep' })
    expect(sleeping.statusCode).toBe(409)
    expect(sleeping.json().error).toEqual({ code: 'ALPHA_SLEEPING', message: 'The module is asleep.', details: {} })
  })

  it('MODULES selects which modules run', async () => {
    const app = await boot({ MODULES: 'beta' }, [pingModule('alpha'), pingModule('beta')])
    expect((await app.inject({ url: '/api/alpha/ping' })).statusCode).toBe(404)
    expect((await app.inject({ url: '/api/beta/ping' })).statusCode).toBe(401)
  })

  it('an unknown name in MODULES fails the boot, listing what exists', async () => {
    await expect(boot({ MODULES: 'alpha,gamma' }, [pingModule('alpha')])).rejects.toThrow('MODULES names unknown module(s): gamma (available: alpha)')
  })

  it('a route requiring an undeclared permission fails the boot', async () => {
    await expect(boot({}, [pingModule('delta', 'delta:fly')])).rejects.toThrow('Unknown permission "delta:fly"')
  })
})
