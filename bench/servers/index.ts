/** The processes scenarios run against. Each is a script started by `lib/child.ts`, one at a time. */
export const servers = {
  'raw-http': {
    script: 'bench/servers/raw-http.ts',
    env: (): Record<string, string | undefined> => ({}),
  },
  /** Not an HTTP workload: runs argon2id verifications in its own process when the bench asks (scenarios/argon2-raw.ts). */
  argon2: {
    script: 'bench/servers/argon2.ts',
    env: (): Record<string, string | undefined> => ({}),
  },
  app: {
    script: 'bench/servers/app.ts',
    env: (parent: NodeJS.ProcessEnv): Record<string, string | undefined> => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
    }),
  },
  /** PostgreSQL only: reads the users the app server registered. */
  'bare-fastify-pk': {
    script: 'bench/servers/bare-fastify-pk.ts',
    env: (parent: NodeJS.ProcessEnv): Record<string, string | undefined> => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
      BENCH_USER_ID: parent.BENCH_USER_ID,
    }),
  },
} as const

export type ServerName = keyof typeof servers
