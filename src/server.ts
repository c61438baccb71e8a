import { ConfigError, loadConfig } from './config/index.js'
import { DataDirLockedError } from './core/db/data-dir-lock.js'
import { isEmbeddedStartupError } from './core/db/embedded/server.js'
import { installGracefulShutdown } from './core/lifecycle.js'
import { describeError } from './core/observability/log-errors.js'
import { startupBanner } from './core/observability/startup-banner.js'
import { availableModules, buildApp } from './app.js'

async function main(): Promise<void> {
  // The modules' settings are validated with the core's: one message names every bad variable.
  const config = loadConfig(undefined, { modules: availableModules })
  const app = await buildApp(config)
  installGracefulShutdown(app, { budget: app.platform.shutdown })
  // Asked before listening: a failing query is then a failed start, not a crash of a serving process.
  const adminExists = (await app.platform.identity.store.repos.users.countAdmins()) > 0
  const url = await app.listen({ host: config.host, port: config.port })
  app.log.info(startupBanner({ url, dataDir: config.dataDir, databaseUrl: config.database.url, adminExists, adminConsole: config.adminConsole }))
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError || isEmbeddedStartupError(error)) {
    process.stderr.write(`plinth: ${error.message}\n`)
  } else {
    process.stderr.write(`plinth: failed to start: ${describeError(error)}\n`)
  }
  process.exit(1)
})
