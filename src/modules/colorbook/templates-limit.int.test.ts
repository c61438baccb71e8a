import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config/index.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { addChild, call, createProject } from '../../../test/helpers/colorbook.js'
import { templatesOfProject, usageEventsAbout } from '../../../test/helpers/colorbook-templates.js'
import { expectError } from '../../../test/helpers/identity.js'
import { colorbookModule } from './index.js'

const MAX = 4096
const app = useTestApp({ env: { COLORBOOK_TEMPLATE_MAX_BYTES: String(MAX) } })

describe('POST /api/projects/:id/publish with COLORBOOK_TEMPLATE_MAX_BYTES', () => {
  it('publishes a snapshot within the cap and refuses a larger one with 413, storing nothing', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    const story = await addChild(app(), ada, project.id, 'stories', { text: 'short' })
    const small = await call(app(), ada, 'POST', `/api/projects/${project.id}/publish`, {})
    expect(small.statusCode, small.body).toBe(201)

    const grown = await call(app(), ada, 'PATCH', `/api/stories/${story.id}`, { text: 'x'.repeat(MAX), version: 1 })
    expect(grown.statusCode, grown.body).toBe(200)
    const refused = expectError(await call(app(), ada, 'POST', `/api/projects/${project.id}/publish`, { title: 'Too big' }), 413, 'COLORBOOK_TEMPLATE_TOO_LARGE')
    expect(refused.details).toEqual({ sizeBytes: expect.any(Number), allowed: MAX })
    expect(refused.details.sizeBytes as number).toBeGreaterThan(MAX)
    expect((await templatesOfProject(app(), project.id)).map((t) => t.title)).toEqual([project.title])
    expect((await usageEventsAbout(app(), small.json<{ id: string }>().id)).map((e) => e.type)).toEqual(['template.published'])
  })
})

describe('COLORBOOK_TEMPLATE_MAX_BYTES', () => {
  const load = (env: Record<string, string> = {}) => loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-cb-settings-')), ...env }, { modules: [colorbookModule] })

  it('defaults to 10 MiB and refuses values out of range', () => {
    expect(load().moduleSettings.colorbook).toMatchObject({ templateMaxBytes: 10 * 1024 * 1024 })
    expect(load({ COLORBOOK_TEMPLATE_MAX_BYTES: '2048' }).moduleSettings.colorbook).toMatchObject({ templateMaxBytes: 2048 })
    for (const value of ['100', 'ten', '268435457']) {
      let problems: string[] = []
      try {
        load({ COLORBOOK_TEMPLATE_MAX_BYTES: value })
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        problems = (error as ConfigError).problems
      }
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^COLORBOOK_TEMPLATE_MAX_BYTES="${value}" is invalid`))])
    }
  })
})
