import { cloneTemplate } from './helpers/database.js'

// Every test file in a worker uses that worker's copy of the migrated template, named by the worker's
// pool id, as DATABASE_URL: code that reads it (test configs, child processes) finds the same database.
process.env.DATABASE_URL = await cloneTemplate(`w${process.env.VITEST_POOL_ID ?? '0'}`, { reuse: true })
