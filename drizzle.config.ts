import { defineConfig } from 'drizzle-kit'

// Migrations are generated from every table definition (core and modules) and committed.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/core/**/db/schema.ts', './src/modules/*/db/schema.ts'],
  out: './drizzle',
  casing: 'snake_case',
})
