import { ConfigError, loadConfig } from './config/index.js'
import { createDatabase } from './core/db/client.js'
import { DataDirLockedError } from './core/db/data-dir-lock.js'

type Command = (args: string[]) => Promise<void>

const commands: Record<string, { summary: string; run: Command }> = {
  migrate: {
    summary: 'Apply the committed migrations to the configured database',
    run: async () => {
      const config = loadConfig()
      const database = await createDatabase({ ...config.database, dataDir: config.dataDir })
      try {
        await database.migrate()
        process.stdout.write(`Migrations applied (${database.kind}).\n`)
      } finally {
        await database.close()
      }
    },
  },
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(16)}${command.summary}`)
  return `Usage: npm run cli -- <command>\n\nCommands:\n${lines.join('\n')}\n`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  const command = name ? commands[name] : undefined
  if (!command) {
    process.stderr.write(name && name !== 'help' ? `Unknown command "${name}".\n\n${usage()}` : usage())
    return name && name !== 'help' ? 2 : 0
  }
  await command.run(args)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof DataDirLockedError
    process.stderr.write(`plinth: ${known ? (error).message : ((error as Error).stack ?? String(error))}\n`)
    process.exit(1)
  },
)
