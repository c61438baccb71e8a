import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EnvSchema } from '../../src/config/schema.js'

const variables = Object.keys(EnvSchema.properties)

describe('configuration documentation', () => {
  it('README has a row for every variable, and only those', () => {
    const readme = readFileSync('README.md', 'utf8')
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## API conventions'))
    const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1])
    expect(documented.sort()).toEqual([...variables].sort())
  })

  it('.env.example lists every variable, and only those', () => {
    const example = readFileSync('.env.example', 'utf8')
    const listed = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1])
    expect(listed.sort()).toEqual([...variables].sort())
  })
})
