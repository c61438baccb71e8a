// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const MODULES = ['chat', 'cylinders', 'colorbook']
const DATABASE_PACKAGES = ['drizzle-orm', 'drizzle-orm/*', 'postgres']

const DATABASE_FILES = ['src/**/db/**', 'src/**/*.repository.ts']
const databasePattern = { group: DATABASE_PACKAGES, message: 'Database access belongs in *.repository.ts and db/ files.' }

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
      rules: { 'no-restricted-imports': ['error', { patterns: [...others, databasePattern] }] },
    },
    {
      files: DATABASE_FILES.map((glob) => glob.replace('src/**', `src/modules/${name}/**`)),
      rules: { 'no-restricted-imports': ['error', { patterns: others }] },
    },
  ]
})

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'drizzle/**'] },
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
  ...moduleBoundaries,
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
