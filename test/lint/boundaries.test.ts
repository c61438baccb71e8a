import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'

// Snippets are not files of the TypeScript project, so type-aware rules are off for them; the
// boundary rules under test need no types.
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: tseslint.configs.disableTypeChecked })

/** The rule ids ESLint reports for `code` as if it were the file at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path })
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`)
}

describe('lint boundaries', () => {
  it('a module may not import another module', async () => {
    const found = await violations('src/modules/chat/chat.service.ts', "import { x } from '../cylinders/cylinder.service.js'\nexport const y = x\n")
    expect(found.join('\n')).toContain('Module "chat" must not import module "cylinders"')
  })

  it('database packages only in repositories and db folders', async () => {
    const service = await violations('src/modules/chat/chat.service.ts', "import { eq } from 'drizzle-orm'\nexport const y = eq\n")
    expect(service.join('\n')).toContain('Database access belongs in *.repository.ts')
    const core = await violations('src/core/users/users.service.ts', "import postgres from 'postgres'\nexport const y = postgres\n")
    expect(core.join('\n')).toContain('Database access belongs in *.repository.ts')
    const repository = await violations('src/modules/chat/chat.repository.ts', "import { eq } from 'drizzle-orm'\nexport const y = eq\n")
    expect(repository.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([])
  })

  it('only src/config reads process.env', async () => {
    const found = await violations('src/core/users/users.service.ts', 'export const port = process.env.PORT\n')
    expect(found.join('\n')).toContain('Read configuration through src/config only')
    expect(await violations('src/config/extra.ts', 'export const port = process.env.PORT\n')).toEqual([])
  })
})
