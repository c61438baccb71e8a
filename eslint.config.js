// @ts-check
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Every module folder, and the ones planned: the boundary rules hold before a module's first file lands. */
const MODULES = [...new Set([...readdirSync(join(import.meta.dirname, 'src/modules')), 'chat', 'colorbook'])]
const DATABASE_PACKAGES = ['drizzle-orm', 'drizzle-orm/*', 'postgres']

const DATABASE_FILES = ['src/**/db/**', 'src/**/*.repository.ts']
const databasePattern = { group: DATABASE_PACKAGES, message: 'Database access belongs in *.repository.ts and db/ files.' }

/**
 * The platform's tables (`src/core/<part>/db/`) are its own: a module reads users through
 * `ctx.users` and keeps ids, never imports the table definitions (`src/core/db/`, the database
 * client and column helpers, stays open to modules).
 */
const coreTablesPattern = {
  regex: '(^|/)core/([^/]+/)+db(/|$)',
  message: 'A module must not import core table definitions: use the platform context (ctx.users, ctx.files, …).',
}

/** Names of the tables declared under src/core (`pgTable('name'`), read from the schema files. */
const CORE = join(import.meta.dirname, 'src/core')
const CORE_TABLES = readdirSync(CORE, { recursive: true, encoding: 'utf8' })
  .filter((path) => /(^|\/)db\/[^/]+\.ts$/.test(path) && !path.endsWith('.test.ts'))
  .flatMap((path) => [...readFileSync(join(CORE, path), 'utf8').matchAll(/pgTable\(\s*'([a-z_][a-z0-9_]*)'/g)].map((match) => match[1]))
const coreTableInSql = `\\b(from|join|update|into|references|table)\\s+("?public"?\\.)?"?(${CORE_TABLES.join('|')})\\b`
/** SQL a module writes by hand (drizzle's sql`…` and sql.raw('…')) naming a core table. */
const coreTablesInSql = [
  { selector: `TaggedTemplateExpression[tag.name='sql'] TemplateElement[value.raw=/${coreTableInSql}/i]`, message: 'SQL in a module must not name a core table: use the platform context (ctx.users, …).' },
  { selector: `CallExpression[callee.object.name='sql'][callee.property.name='raw'] > Literal[value=/${coreTableInSql}/i]`, message: 'SQL in a module must not name a core table: use the platform context (ctx.users, …).' },
]

/** The Fastify instance's `app.platform` holds every secret and service: a module has `ctx` (`ctx.platform` is its few facts). */
const platformReach = {
  selector: "MemberExpression[property.name='platform']:not([object.type='Identifier'][object.name='ctx'])",
  message: 'A module reaches the platform only through its context (ctx), never app.platform.',
}
const moduleSyntax = ['error', ...coreTablesInSql, platformReach]

/** Imports of module `other` from anywhere in module `name`, relative or through modules/. */
const otherModulePattern = (name, other) => ({
  regex: `(^|/)(\\.\\./)+((\\.\\./)*modules/)?${other}(/|$)|(^|/)modules/${other}(/|$)`,
  message: `Module "${name}" must not import module "${other}": use events or the platform context.`,
})

/**
 * Module boundaries: a module reaches another only through the platform, never by import.
 * ESLint does not merge a rule's options across configs, so each file group gets its full list.
 */
const moduleBoundaries = MODULES.flatMap((name) => {
  const others = MODULES.filter((other) => other !== name).map((other) => otherModulePattern(name, other))
  return [
    {
      files: [`src/modules/${name}/**/*.ts`],
      ignores: DATABASE_FILES,
      rules: { 'no-restricted-imports': ['error', { patterns: [...others, databasePattern, coreTablesPattern] }] },
    },
    {
      files: DATABASE_FILES.map((glob) => glob.replace('src/**', `src/modules/${name}/**`)),
      rules: { 'no-restricted-imports': ['error', { patterns: [...others, coreTablesPattern] }] },
    },
  ]
})

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'drizzle/**', 'packages/client/dist/**', 'packages/admin/dist/**', 'packages/client/src/schema.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify handlers, hooks and plugins are async by contract, with or without an await.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // Only src/config reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config only.' }],
    },
  },
  {
    // Database drivers and the ORM only in repositories and db/ folders.
    files: ['src/**/*.ts'],
    ignores: [...DATABASE_FILES, 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            databasePattern,
            { group: ['**/modules/**'], message: 'Core and other layers must not import module files; app.ts lists module manifests.' },
          ],
        },
      ],
    },
  },
  {
    // app.ts is the one place that lists module manifests (their index.ts).
    files: ['src/app.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            databasePattern,
            { group: ['**/modules/*/**', '!**/modules/*/index.js'], message: 'Import a module through its index.ts manifest only.' },
          ],
        },
      ],
    },
  },
  {
    // Every module, listed in MODULES or not: no core tables, by import or in SQL.
    files: ['src/modules/**/*.ts'],
    ignores: DATABASE_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [databasePattern, coreTablesPattern] }], 'no-restricted-syntax': moduleSyntax },
  },
  {
    files: DATABASE_FILES.map((glob) => glob.replace('src/**', 'src/modules/**')),
    rules: { 'no-restricted-imports': ['error', { patterns: [coreTablesPattern] }], 'no-restricted-syntax': moduleSyntax },
  },
  ...moduleBoundaries,
  {
    // @plinth/client runs in browsers as well as Node, and ships on its own: no Node built-ins or
    // globals, no `ws` (Node users pass it in), nothing from the server's sources.
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'The client runs in browsers: no Node built-ins.' },
            { group: ['ws', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'events', 'stream', 'url', 'util', 'buffer', 'os'], message: 'The client runs in browsers: no Node-only modules (Node callers pass a WebSocket constructor).' },
            { regex: '^\\.\\./', message: 'The client ships on its own: import only its own files (./…) and its dependencies.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', '__filename', 'global'],
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
)
