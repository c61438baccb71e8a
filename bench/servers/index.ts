/** How to start one bench server: a script run by `lib/child.ts`, with the environment it gets from the bench's. */
export interface ServerDefinition {
  readonly script: string
  /** Node.js options, e.g. `--expose-gc` for the servers whose memory the realtime scenarios read. */
  readonly nodeArgs?: readonly string[]
  readonly env: (parent: NodeJS.ProcessEnv) => Record<string, string | undefined>
  /** How long it may seed before its ready line (default 60 s). */
  readonly readyTimeoutMs?: number
}

/** The servers whose `POST …/stats` may collect garbage before reading memory. */
const EXPOSE_GC = ['--expose-gc']

/** The processes scenarios run against. Each is a script started by `lib/child.ts`, one at a time. */
export const servers = {
  'raw-http': {
    script: 'bench/servers/raw-http.ts',
    env: () => ({}),
  },
  /** The baseline of the realtime scenarios: a bare `ws` server broadcasting the same events. */
  'bare-ws': {
    script: 'bench/servers/bare-ws.ts',
    nodeArgs: EXPOSE_GC,
    env: () => ({}),
  },
  /** Not an HTTP workload: runs argon2id verifications in its own process when the bench asks (scenarios/argon2-raw.ts). */
  argon2: {
    script: 'bench/servers/argon2.ts',
    env: () => ({}),
  },
  /** Realtime in process (no REDIS_URL, whatever the bench's environment says). */
  app: {
    script: 'bench/servers/app.ts',
    nodeArgs: EXPOSE_GC,
    env: (parent) => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
    }),
  },
  /** The same app on the bench's REDIS_URL (realtime Redis scenarios only; skipped without it). */
  'app-redis': {
    script: 'bench/servers/app.ts',
    nodeArgs: EXPOSE_GC,
    env: (parent) => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
      REDIS_URL: parent.REDIS_URL,
    }),
  },
  /** The cylinders module on a stocked depot, inventory summary cached (the default). */
  cylinders: {
    script: 'bench/servers/cylinders.ts',
    env: (parent) => ({ DATABASE_URL: parent.DATABASE_URL, DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE, BENCH_DEPOT_CYLINDERS: parent.BENCH_DEPOT_CYLINDERS }),
  },
  /** The same with the inventory cache off: every summary is computed by PostgreSQL. */
  'cylinders-nocache': {
    script: 'bench/servers/cylinders.ts',
    env: (parent) => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
      BENCH_DEPOT_CYLINDERS: parent.BENCH_DEPOT_CYLINDERS,
      CYLINDERS_INVENTORY_CACHE_SECONDS: '0',
    }),
  },
  /** The seeds' stack (Express 5, pg, jsonwebtoken): /me and a cylinder by id on the same tables, after the app and cylinders servers filled them. */
  'express-baseline': {
    script: 'bench/servers/express-baseline.ts',
    env: (parent) => ({ DATABASE_URL: parent.DATABASE_URL, DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE }),
  },
  /** The chat module on seeded chats (servers/chat.ts); realtime on the bench's REDIS_URL when it has one. */
  chat: {
    script: 'bench/servers/chat.ts',
    nodeArgs: EXPOSE_GC,
    env: (parent) => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
      REDIS_URL: parent.REDIS_URL,
      BENCH_CHAT_CHATS: parent.BENCH_CHAT_CHATS,
      BENCH_CHAT_HISTORY: parent.BENCH_CHAT_HISTORY,
    }),
  },
  /** The baseline of the chat sends: one INSERT into a copy of chat_messages, on bare Fastify (after the chat server migrated the database). */
  'bare-fastify-insert': {
    script: 'bench/servers/bare-fastify-insert.ts',
    env: (parent) => ({ DATABASE_URL: parent.DATABASE_URL, DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE }),
  },
  /** The ColorBook module on seeded books (servers/colorbook.ts). */
  colorbook: {
    script: 'bench/servers/colorbook.ts',
    nodeArgs: EXPOSE_GC,
    readyTimeoutMs: 300_000,
    env: (parent) => ({ DATABASE_URL: parent.DATABASE_URL, DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE, REDIS_URL: parent.REDIS_URL }),
  },
  /** The baseline of the ColorBook document read: the same four queries on bare Fastify (after the colorbook server seeded its books). */
  'bare-fastify-document': {
    script: 'bench/servers/bare-fastify-document.ts',
    env: (parent) => ({ DATABASE_URL: parent.DATABASE_URL, DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE }),
  },
  /** Reads the users the app server registered, on the same database. */
  'bare-fastify-pk': {
    script: 'bench/servers/bare-fastify-pk.ts',
    env: (parent) => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
      BENCH_USER_ID: parent.BENCH_USER_ID,
    }),
  },
} as const satisfies Record<string, ServerDefinition>

export type ServerName = keyof typeof servers
