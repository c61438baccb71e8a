/** The processes scenarios run against. Each is a script started by `lib/child.ts`, one at a time. */
export const servers = {
  'raw-http': {
    script: 'bench/servers/raw-http.ts',
    env: (): Record<string, string | undefined> => ({}),
  },
  app: {
    script: 'bench/servers/app.ts',
    env: (parent: NodeJS.ProcessEnv): Record<string, string | undefined> => ({
      DATABASE_URL: parent.DATABASE_URL,
      DATABASE_POOL_SIZE: parent.DATABASE_POOL_SIZE,
    }),
  },
} as const

export type ServerName = keyof typeof servers
