import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { projectRoot } from '../db/paths.js'

const app = useTestApp()
const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }

describe('GET /', () => {
  it('answers the name, the version and where to start, signed in or not', async () => {
    const response = await app().inject({ url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toEqual({ name: 'Plinth', version, links: { docs: '/docs', openapi: '/openapi.json', health: '/health' } })
  })

  it('links only to pages that answer', async () => {
    const { links } = (await app().inject({ url: '/' })).json<{ links: Record<string, string> }>()
    for (const path of Object.values(links)) {
      const response = await app().inject({ url: path })
      expect([200, 302], path).toContain(response.statusCode)
    }
  })

  it('is in the OpenAPI document, public, with its response schema', async () => {
    const document = (await app().inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, { content?: Record<string, { schema: { properties?: object } }> }> }>> }>()
    const operation = document.paths['/']?.get
    expect(operation?.operationId).toBe('getIndex')
    expect(operation?.security).toEqual([])
    const schema = operation?.responses['200']?.content?.['application/json']?.schema
    expect(Object.keys(schema?.properties ?? {})).toEqual(['name', 'version', 'links'])
  })
})
