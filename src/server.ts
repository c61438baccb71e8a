import { ConfigError, loadConfig } from './config/index.js'
import { DataDirLockedError } from './core/db/data-dir-lock.js'
import { isEmbeddedStartupError } from './core/db/embedded/server.js'
import { installGracefulShutdown } from './core/lifecycle.js'
import { describeError } from './core/observability/log-errors.js'
import { buildApp } from './app.js'

async function main(): Promise<void> {
  const config = loadConfig()
  const app = await buildApp(config)
  installGracefulShutdown(app, { budget: app.platform.shutdown })
  await app.listen({ host: config.host, port: config.port })
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError || isEmbeddedStartupError(error)) {
    process.stderr.write(`plinth: ${error.message}\n`)
  } else {
    process.stderr.write(`plinth: failed to start: ${describeError(error)}\n`)
  }
  process.exit(1)
})
