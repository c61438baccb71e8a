import { argon2Raw } from './argon2-raw.js'
import { barePk } from './bare-pk.js'
import { health, healthOneConnection } from './health.js'
import { healthDuringLogin } from './health-during-login.js'
import { login } from './login.js'
import { me } from './me.js'
import { noteById } from './note-by-id.js'
import { rawHello } from './raw-hello.js'
import type { Scenario } from './scenario.js'

/**
 * Run in this order, one after another. Scenarios on the same server run back to back, so each
 * server starts once: raw-http, argon2, app, bare-fastify-pk. The argon2 baseline runs just before
 * the login scenarios; the idle /health probe right after the login load has stopped; bare-pk last,
 * once the app has migrated the database and registered the account it reads.
 */
export const scenarios: readonly Scenario[] = [rawHello, argon2Raw, login, healthDuringLogin, healthOneConnection, health, me, noteById, barePk]
