import { describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { call, setPlan } from '../../../test/helpers/colorbook.js'
import { storedBranding } from '../../../test/helpers/colorbook-templates.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({ modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)) })
const stored = (user: TestUser) => storedBranding(app(), user.id)

async function upload(user: TestUser, content: Buffer, filename: string): Promise<string> {
  const response = await uploadFile(app(), user, { content, filename })
  expect(response.statusCode, response.body).toBe(201)
  return response.json().id as string
}

describe('branding', () => {
  it('is empty and inactive until set; only white-label plans (enterprise) may set it (402, nothing stored)', async () => {
    const [free, pro] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), pro, 'pro')
    expect((await call(app(), free, 'GET', '/api/branding')).json()).toEqual({ name: null, logoFileId: null, colors: {}, active: false, updatedAt: null })
    for (const [user, plan] of [[free, 'free'], [pro, 'pro']] as const) {
      const refused = expectError(await call(app(), user, 'PUT', '/api/branding', { name: 'Acme' }), 402, 'PLAN_LIMIT_REACHED')
      expect(refused.details).toEqual({ limit: 'whiteLabel', plan })
      expect(await stored(user)).toBeUndefined()
    }
    expectError(await call(app(), undefined, 'GET', '/api/branding'), 401, 'UNAUTHENTICATED')
  })

  it('sets name, logo and colours for an enterprise account, replaced whole; exports read it while the plan has white label', async () => {
    const [ent, other] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), ent, 'enterprise')
    const logo = await upload(ent, await image('png', 16, 16), 'logo.png')
    const put = await call(app(), ent, 'PUT', '/api/branding', { name: ' Acme Books ', logoFileId: logo, colors: { primary: '#FF0000', text: '#101010' } })
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json()).toMatchObject({ name: 'Acme Books', logoFileId: logo, colors: { primary: '#ff0000', text: '#101010' }, active: true, updatedAt: expect.any(String) })
    expect((await call(app(), ent, 'GET', '/api/branding')).json()).toEqual(put.json())
    expect(await api.branding.applied(ent.id)).toEqual({ name: 'Acme Books', logoFileId: logo, colors: { primary: '#ff0000', text: '#101010' } })
    expect(await api.branding.applied(other.id)).toBeNull()

    expect((await call(app(), ent, 'PUT', '/api/branding', { colors: { accent: '#00ff00' } })).json()).toMatchObject({ name: null, logoFileId: null, colors: { accent: '#00ff00' } })
    expect(await stored(ent)).toMatchObject({ name: null, logoFileId: null, colors: { accent: '#00ff00' } })

    // A downgrade keeps it stored but no longer applied.
    await setPlan(app(), ent, 'free')
    expect((await call(app(), ent, 'GET', '/api/branding')).json()).toMatchObject({ colors: { accent: '#00ff00' }, active: false })
    expect(await api.branding.applied(ent.id)).toBeNull()
  })

  it('refuses bad colours, unknown fields (400), another’s file or a non-image as the logo (422), storing nothing', async () => {
    const [ent, bob] = await Promise.all([loginAs(app()), loginAs(app())])
    await setPlan(app(), ent, 'enterprise')
    for (const body of [{ colors: { primary: 'red' } }, { colors: { primary: '#ff00' } }, { colors: { border: '#ffffff' } }, { name: '' }, { motto: 'x' }]) {
      expectError(await call(app(), ent, 'PUT', '/api/branding', body), 400, 'VALIDATION_FAILED')
    }
    const bobs = await upload(bob, await image('png', 8, 8), 'logo.png')
    expect(expectError(await call(app(), ent, 'PUT', '/api/branding', { logoFileId: bobs }), 422, 'COLORBOOK_FILE_INVALID').details).toEqual({ logoFileId: bobs })
    const text = await upload(ent, Buffer.from('just some words\n'), 'notes.txt')
    expectError(await call(app(), ent, 'PUT', '/api/branding', { logoFileId: text }), 422, 'COLORBOOK_FILE_INVALID')
    expect(await stored(ent)).toBeUndefined()
  })
})
