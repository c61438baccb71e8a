import { argon2Raw } from './argon2-raw.js'
import { inventoryCached, inventoryUncached, shipBatch } from './cylinders.js'
import { cylinderById } from './cylinder-by-id.js'
import { expressCylinderById, expressMe } from './express-baseline.js'
import { barePk } from './bare-pk.js'
import { bareInsert, chatFanoutRate, chatHistory, chatSendOne, chatSendSpread } from './chat.js'
import { bareDocument, colorbookDrawingPut, colorbookDuplicate, colorbookProject, colorbookStoryPatch, colorbookSync } from './colorbook.js'
import { fanoutBareMax, fanoutBareRate, fanoutMax, fanoutRate, fanoutRedisMax, fanoutRedisRate } from './fanout.js'
import { health, healthOneConnection } from './health.js'
import { healthDuringLogin } from './health-during-login.js'
import { idleMemory, idleMemoryBare } from './idle-memory.js'
import { login } from './login.js'
import { me } from './me.js'
import { noteById } from './note-by-id.js'
import { rawHello } from './raw-hello.js'
import { uploadMemory } from './upload-memory.js'
import type { Scenario } from './scenario.js'

/**
 * Run in this order, one after another. Scenarios on the same server run back to back, so each
 * server starts once: raw-http, bare-ws, argon2, app, app-redis, bare-fastify-pk, chat, bare-fastify-insert, colorbook, bare-fastify-document. The memory
 * scenarios run first on their server, while its process is fresh (the upload after the idle sockets:
 * its peak is read against its own `before`). The argon2 baseline runs just
 * before the login scenarios; the idle /health probe right after the login load has stopped; bare-pk
 * once the app has migrated the database and registered the account it reads; the cylinders
 * scenarios on servers of their own; the seeds' Express stack last, once both have filled the tables it reads.
 */
export const scenarios: readonly Scenario[] = [
  rawHello,
  // realtime baseline: bare ws
  idleMemoryBare,
  fanoutBareMax,
  fanoutBareRate,
  argon2Raw,
  // app: memory first (fresh process), then HTTP, then realtime
  idleMemory,
  uploadMemory,
  login,
  healthDuringLogin,
  healthOneConnection,
  health,
  me,
  noteById,
  fanoutMax,
  fanoutRate,
  // app-redis (skipped without REDIS_URL)
  fanoutRedisMax,
  fanoutRedisRate,
  barePk,
  // chat (realtime on REDIS_URL when set), then its baseline: the same INSERT on bare Fastify (after the chat server migrated the database)
  chatSendSpread,
  chatSendOne,
  chatHistory,
  chatFanoutRate,
  bareInsert,
  // colorbook (seeded books; compared with bare-pk and bare-insert above, and the document read with bare-document after it)
  colorbookProject,
  colorbookStoryPatch,
  colorbookDuplicate,
  colorbookSync,
  colorbookDrawingPut,
  bareDocument,
  // cylinders (a stocked depot), then the same with the inventory cache off
  shipBatch,
  inventoryCached,
  cylinderById,
  inventoryUncached,
  // the seeds' stack: Express 5 + pg + jsonwebtoken (skipped until installed)
  expressMe,
  expressCylinderById,
]
