import type { FastifyInstance } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp, availableModules } from '../app.js'
import { testConfig } from '../../test/helpers/app.js'
import { closeTestDatabase, testDatabase } from '../../test/helpers/database.js'
import { headerActor } from '../../test/fixtures/notes/index.js'
import { requirePermission } from './access/require-permission.js'
import { AppError } from './errors/app-error.js'
import { filesPermissions } from './files/permissions.js'
import { jobsPermissions } from './jobs/permissions.js'
import { observabilityPermissions } from './observability/permissions.js'
import { errorResponses } from './http/schemas.js'
import Type from 'typebox'
import { ConfigError } from '../config/index.js'
import { defineModule, defineSettings, type ModuleContext, type ModuleDefinition } from './module.js'
import { corePermissions } from './users/permissions.js'

const apps: FastifyInstance[] = []
afterAll(async () => {
  for (const app of apps) await app.close()
  await closeTestDatabase()
})

async function boot(env: Record<string, string>, modules?: readonly ModuleDefinition[]): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(env, modules), { database: await testDatabase(), migrate: false, authenticate: headerActor, ...(modules ? { modules } : {}) })
  apps.push(app)
  await app.ready()
  return app
}

/** Permission keys the app declared beyond the platform's own: the enabled modules'. */
const platformKeys = new Set([...corePermissions, ...filesPermissions, ...jobsPermissions, ...observabilityPermissions].map((p) => p.key))
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
  it('ships the cylinders, chat and colorbook modules, enabled unless MODULES says otherwise', async () => {
    expect(availableModules.map((m) => m.name)).toEqual(['cylinders', 'chat', 'colorbook'])
    const all = await boot({})
    expect((await all.inject({ url: '/api/cylinders' })).statusCode).toBe(401)
    expect(moduleKeys(all)).toEqual(['chat:moderate', 'chat:use', 'colorbook:analytics', 'colorbook:plans', 'colorbook:templates:moderate', 'colorbook:use', 'cylinders:locations', 'cylinders:manage', 'cylinders:move', 'cylinders:read', 'cylinders:reports'])
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

  it('a module may not take a name the platform uses (its rooms, jobs, permissions)', () => {
    for (const name of ['user', 'files', 'api-keys']) {
      expect(() => defineModule({ name, permissions: [], createApi: () => ({}), routes: () => async () => {} }), name).toThrow(`Module name "${name}" is the platform's own`)
    }
  })

  it('a route requiring an undeclared permission fails the boot', async () => {
    await expect(boot({}, [pingModule('delta', 'delta:fly')])).rejects.toThrow('Unknown permission "delta:fly"')
  })
})

describe('module settings', () => {
  const contexts: ModuleContext<{ greeting: string; repeat: number }>[] = []
  const echo = defineModule({
    name: 'echo',
    permissions: [],
    settings: defineSettings({
      schema: Type.Object({
        ECHO_GREETING: Type.String({ minLength: 1, default: 'hello', description: 'a greeting' }),
        ECHO_REPEAT: Type.Integer({ minimum: 1, maximum: 3, default: 1, description: 'an integer 1–3' }),
      }),
      parse: (env) => ({ greeting: env.ECHO_GREETING, repeat: env.ECHO_REPEAT }),
    }),
    createApi: (ctx) => {
      contexts.push(ctx)
      return { words: Array<string>(ctx.settings.repeat).fill(ctx.settings.greeting).join(' ') }
    },
    routes: (api) => async (app) => {
      app.get('/echo', async () => ({ message: api.words }))
    },
  })

  it('a module receives its own settings, parsed, and the platform facts, not the configuration', async () => {
    const app = await boot({ ECHO_GREETING: 'hi', ECHO_REPEAT: '2', PUBLIC_URL: 'https://plinth.example/' }, [echo, pingModule('alpha')])
    expect((await app.inject({ url: '/api/echo' })).json()).toEqual({ message: 'hi hi' })
    const ctx = contexts.at(-1)!
    expect(ctx.settings).toEqual({ greeting: 'hi', repeat: 2 })
    expect(ctx.platform).toEqual({ env: 'test', publicUrl: 'https://plinth.example' })
    expect(ctx).not.toHaveProperty('config')
    expect(JSON.stringify(ctx.settings)).not.toContain('CYLINDERS')
  })

  it('a bad setting of an enabled module fails the boot with the configuration message; a disabled one is not read', async () => {
    const refused = await boot({ ECHO_REPEAT: '4', PORT: 'x' }, [echo]).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ConfigError)
    expect((refused as ConfigError).problems).toEqual([expect.stringMatching(/^PORT="x" is invalid/), 'ECHO_REPEAT="4" is invalid: expected an integer 1–3'])
    const app = await boot({ MODULES: 'alpha', ECHO_REPEAT: '4' }, [echo, pingModule('alpha')])
    expect((await app.inject({ url: '/api/echo' })).statusCode).toBe(404)
  })

  it('a module with settings the configuration was loaded without fails the boot, saying so', async () => {
    await expect(buildApp(testConfig({}, []), { database: await testDatabase(), migrate: false, modules: [echo] })).rejects.toThrow(
      'Module "echo" declares settings, but the configuration was loaded without them',
    )
  })

  it('a setting not named after its module is refused when the manifest is defined', () => {
    expect(() =>
      defineModule({
        name: 'echo',
        permissions: [],
        settings: defineSettings({ schema: Type.Object({ GREETING: Type.String({ default: 'x', description: 'a greeting' }) }), parse: (env) => env }),
        createApi: () => ({}),
        routes: () => async () => {},
      }),
    ).toThrow('Module "echo" declares the setting GREETING: its settings must be named ECHO_…')
  })
})
