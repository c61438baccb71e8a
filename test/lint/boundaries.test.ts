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
    // A module folder that exists is covered without being listed.
    const unlisted = await violations('src/modules/cylinders/cylinders.service.ts', "import { x } from '../colorbook/projects.service.js'\nexport const y = x\n")
    expect(unlisted.join('\n')).toContain('Module "cylinders" must not import module "colorbook"')
  })

  it('database packages only in repositories and db folders', async () => {
    const service = await violations('src/modules/chat/chat.service.ts', "import { eq } from 'drizzle-orm'\nexport const y = eq\n")
    expect(service.join('\n')).toContain('Database access belongs in *.repository.ts')
    const core = await violations('src/core/users/users.service.ts', "import postgres from 'postgres'\nexport const y = postgres\n")
    expect(core.join('\n')).toContain('Database access belongs in *.repository.ts')
    const repository = await violations('src/modules/chat/chat.repository.ts', "import { eq } from 'drizzle-orm'\nexport const y = eq\n")
    expect(repository.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([])
  })

  it('a module may not import core table definitions, in any of its files', async () => {
    const importUsers = (depth: number) => `import { users } from '${'../'.repeat(depth)}core/users/db/schema.js'\nexport const y = users\n`
    for (const [path, depth] of [
      ['src/modules/cylinders/shipments.repository.ts', 2],
      ['src/modules/cylinders/cylinders.service.ts', 2],
      ['src/modules/cylinders/db/schema.ts', 3],
      ['src/modules/unlisted/things.repository.ts', 2],
    ] as const) {
      expect((await violations(path, importUsers(depth))).join('\n'), path).toContain('A module must not import core table definitions')
    }
    // src/core/db (the client and column helpers) is not a table definition; core may import its own tables.
    expect(await violations('src/modules/cylinders/shipments.repository.ts', "import { newId } from '../../core/db/columns.js'\nexport const y = newId\n")).toEqual([])
    expect(await violations('src/core/audit/audit.repository.ts', "import { users } from '../users/db/schema.js'\nexport const y = users\n")).toEqual([])
  })

  it('a module’s SQL may not name a core table', async () => {
    const inModule = (code: string) => violations('src/modules/cylinders/reports.repository.ts', `import { sql } from 'drizzle-orm'\n${code}\n`)
    const refused = 'SQL in a module must not name a core table'
    expect((await inModule('export const y = sql`select name from users where id = ${1}`')).join('\n')).toContain(refused)
    expect((await inModule('export const y = sql`select 1 from cylinders c join "sessions" s on true`')).join('\n')).toContain(refused)
    expect((await inModule("export const y = sql.raw('DELETE FROM public.email_outbox')")).join('\n')).toContain(refused)
    // Its own tables, even with a core table's name inside theirs, are fine.
    expect(await inModule('export const y = sql`select 1 from cylinder_users join cylinders on true`')).toEqual([])
    expect(await violations('src/core/users/users.repository.ts', "import { sql } from 'drizzle-orm'\nexport const y = sql`select 1 from users`\n")).toEqual([])
  })

  it('a module may not reach app.platform (its secrets and services), only ctx', async () => {
    const refused = 'A module reaches the platform only through its context (ctx)'
    for (const code of ['export const f = (app: { platform: unknown }) => app.platform\n', 'export const f = (request: { server: { platform: unknown } }) => request.server.platform\n']) {
      expect((await violations('src/modules/cylinders/cylinders.routes.ts', code)).join('\n'), code).toContain(refused)
    }
    expect(await violations('src/modules/cylinders/api.ts', 'export const f = (ctx: { platform: { env: string } }) => ctx.platform.env\n')).toEqual([])
    // A module folder not listed anywhere is covered too.
    expect((await violations('src/modules/stock-take/stock.repository.ts', 'export const f = (app: { platform: unknown }) => app.platform\n')).join('\n')).toContain(refused)
  })

  it('only src/config reads process.env', async () => {
    const found = await violations('src/core/users/users.service.ts', 'export const port = process.env.PORT\n')
    expect(found.join('\n')).toContain('Read configuration through src/config only')
    expect(await violations('src/config/extra.ts', 'export const port = process.env.PORT\n')).toEqual([])
  })
})
