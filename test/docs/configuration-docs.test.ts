import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { availableModules } from '../../src/app.js'
import { EnvSchema } from '../../src/config/schema.js'

const coreVariables = Object.keys(EnvSchema.properties)
/** Every module the app ships that declares settings, with its variables' schemas. */
const moduleSettings = availableModules.flatMap((module) =>
  module.settings ? [{ name: module.name, properties: module.settings.schema.properties }] : [],
)
const variables = [...coreVariables, ...moduleSettings.flatMap((module) => Object.keys(module.properties))]

const readme = readFileSync('README.md', 'utf8')
const configuration = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## API conventions'))
const moduleSection = configuration.indexOf('### Module settings')

/** `| \`NAME\` | default | meaning |` rows of a part of README: name → default column. */
function rows(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)].map((match) => [match[1]!, match[2]!.trim()]))
}

/** The rows under `#### \`<module>\``, up to the next heading. */
function moduleRows(name: string): Map<string, string> {
  const start = configuration.indexOf(`#### \`${name}\``, moduleSection)
  if (start === -1) return new Map()
  const rest = configuration.slice(configuration.indexOf('\n', start))
  const end = rest.search(/^#{2,4} /m)
  return rows(end === -1 ? rest : rest.slice(0, end))
}

describe('configuration documentation', () => {
  it('README has a row for every core variable in the main table, and only those', () => {
    expect(moduleSection).toBeGreaterThan(-1)
    expect([...rows(configuration.slice(0, moduleSection)).keys()].sort()).toEqual([...coreVariables].sort())
  })

  it('module settings are part of the list (modules declare them in their manifests)', () => {
    expect(moduleSettings.map((module) => module.name)).toContain('cylinders')
    expect(variables).toContain('CYLINDERS_TIMEZONE')
  })

  describe.each(moduleSettings)('README, Module settings: $name', ({ name, properties }) => {
    it('has a row for each of its settings, and only those, with its default', () => {
      const documented = moduleRows(name)
      expect([...documented.keys()].sort(), `README's #### \`${name}\` table`).toEqual(Object.keys(properties).sort())
      for (const [variable, schema] of Object.entries(properties)) {
        const value: unknown = (schema as { default?: unknown }).default
        if (value === '') expect(documented.get(variable), `${variable}: an empty default reads "empty"`).toBe('empty')
        else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') expect(documented.get(variable), variable).toBe(`\`${String(value)}\``)
      }
    })
  })

  it('README documents settings only for modules the app ships', () => {
    const headings = [...configuration.slice(moduleSection).matchAll(/^#### `([a-z][a-z0-9-]*)`/gm)].map((match) => match[1])
    expect(headings.sort()).toEqual(moduleSettings.map((module) => module.name).sort())
  })

  it('.env.example lists every variable, and only those', () => {
    const example = readFileSync('.env.example', 'utf8')
    const listed = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1])
    expect(listed.sort()).toEqual([...variables].sort())
  })
})
