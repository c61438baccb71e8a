import { parseArgs } from 'node:util'
import type { FastifyBaseLogger } from 'fastify'
import { ConfigError, loadConfig, type Config } from './config/index.js'
import { createIdentity } from './core/auth/identity.js'
import { passwordProblem } from './core/auth/password-policy.js'
import { createDatabase, type Database } from './core/db/client.js'
import { DataDirLockedError } from './core/db/data-dir-lock.js'
import { isEmbeddedStartupError } from './core/db/embedded/server.js'
import { backupToFile, describeBackup, describeRestore } from './core/backup/backup-file.js'
import { BackupFileError, BackupRefusedError, backupFileName } from './core/backup/format.js'
import { restoreBackup } from './core/backup/restore.service.js'
import { restoredKeyProblem } from './core/backup/restore-secrets.js'
import { AppError } from './core/errors/app-error.js'
import { describeError } from './core/observability/log-errors.js'
import { resolveBootSecrets } from './core/secrets/boot-secrets.js'
import { ensureAdmin } from './core/users/admin-bootstrap.js'
import { PasswordMismatch, PromptCancelled, readPassword } from './cli/read-password.js'

/** Resolves to the exit code, 0 when it resolves to nothing. */
type Command = (args: string[]) => Promise<number | void>

/** Bad arguments: exit 2 with the message, as for an unknown command. */
class UsageError extends Error {}

const commands: Record<string, { summary: string; run: Command }> = {
  migrate: {
    summary: 'Apply the committed migrations to the configured database',
    run: async () => {
      const config = loadConfig()
      const database = await openDatabase(config)
      try {
        await database.migrate()
        process.stdout.write(`Migrations applied (${database.kind}).\n`)
      } finally {
        await database.close()
      }
    },
  },
  'create-admin': {
    summary:
      "Create an administrator: --email <address> [--name 'Ann'] (default ADMIN_EMAIL). The password comes from standard input " +
      '(a prompt that does not show it, or one piped line) or from ADMIN_PASSWORD; there is no --password: on the command line ' +
      'a password shows in `ps` and in shell history',
    run: createAdmin,
  },
  backup: {
    summary: 'Back up the database, also while the server runs: [file] (default plinth-<UTC time>.backup here; - for standard output)',
    run: backup,
  },
  restore: {
    summary: 'Restore a backup <file> into an empty database (an empty DATA_DIR, or the DATABASE_URL one); see docs/deploy.md',
    run: restore,
  },
  'rotate-encryption-key': {
    summary:
      'Move everything encrypted under a previous key (ENCRYPTION_KEYS_PREVIOUS) under ENCRYPTION_KEY, while the server runs; ' +
      'run it once every instance has the new key, then remove the old one (docs/deploy.md, Encryption keys)',
    run: async (args) => {
      if (positionals(args).length > 0) throw new UsageError('rotate-encryption-key takes no arguments.')
      // Loaded here only: the other commands need neither the app nor its modules.
      const [{ availableModules }, { rotateEncryptionKey }] = await Promise.all([import('./app.js'), import('./cli/rotate-encryption-key.js')])
      const config = loadConfig(undefined, { modules: availableModules })
      const database = await openDatabase(config)
      try {
        const { output, failed } = await rotateEncryptionKey(config, database)
        process.stdout.write(output)
        return failed ? 1 : 0
      } finally {
        await database.close()
      }
    },
  },
}

async function backup(args: string[]): Promise<void> {
  const [file = backupFileName(new Date()), ...extra] = positionals(args)
  if (extra.length > 0) throw new UsageError('backup takes one file name at most.')
  const config = loadConfig()
  const database = await openDatabase(config)
  try {
    const summary = await backupToFile(database.url, file)
    // With the backup on standard output, the report goes to standard error.
    ;(file === '-' ? process.stderr : process.stdout).write(describeBackup(file, summary))
  } finally {
    await database.close()
  }
}

async function restore(args: string[]): Promise<void> {
  const [file, ...extra] = positionals(args)
  if (!file || extra.length > 0) throw new UsageError('restore needs the backup file: npm run cli -- restore <file>.')
  const config = loadConfig()
  const database = await openDatabase(config)
  try {
    const summary = await restoreBackup({ path: file, url: database.url, migrate: () => database.migrate() })
    const target = database.kind === 'embedded' ? `the embedded database in ${config.dataDir}` : 'the DATABASE_URL database'
    process.stdout.write(describeRestore(file, summary, target))
    const problem = await restoredKeyProblem(config, database.db)
    if (problem) process.stderr.write(`plinth warning: ${problem}\n`)
  } finally {
    await database.close()
  }
}

function positionals(args: string[]): string[] {
  try {
    return parseArgs({ args, options: {}, allowPositionals: true, strict: true }).positionals
  } catch (error) {
    throw new UsageError(`${(error as Error).message}.`)
  }
}

async function createAdmin(args: string[]): Promise<void> {
  const loaded = loadConfig()
  const admin = await adminFrom(args, loaded)
  const database = await openDatabase(loaded)
  try {
    await database.migrate()
    // The same secrets as the server's (kept in the database in development), and the same key check.
    const config = await resolveBootSecrets(loaded, database.db)
    const identity = await createIdentity(config, database.db, undefined, stderrLogger())
    try {
      const outcome = await ensureAdmin(admin, identity.auth, identity.store.repos.users, stderrLogger())
      process.stdout.write(outcome === 'created' ? `Administrator ${admin.email} created.\n` : `An account with ${admin.email} already exists; nothing was changed.\n`)
    } catch (error) {
      // The password policy's own explanation (e.g. a common password).
      if (error instanceof AppError && error.status === 400) throw new UsageError(error.message)
      throw error
    } finally {
      await identity.close()
    }
  } finally {
    await database.close()
  }
}

/**
 * The administrator from flags, else from ADMIN_EMAIL; the password from ADMIN_PASSWORD, else from
 * standard input (asked only once the flags are good). Refuses bad input before any work.
 */
async function adminFrom(args: string[], config: Config): Promise<{ email: string; password: string; name?: string }> {
  let values: { email?: string; name?: string }
  try {
    values = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' } }, strict: true }).values
  } catch (error) {
    const hint = /'--password'/.test((error as Error).message) ? ': the password is read from standard input, since on the command line it would show in `ps` and in shell history' : ''
    throw new UsageError(`${(error as Error).message}${hint}.`)
  }
  const email = (values.email ?? config.auth.admin?.email)?.trim().toLowerCase()
  if (!email) throw new UsageError('create-admin needs --email <address> (or ADMIN_EMAIL).')
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${email}" is not an e-mail address.`)
  const name = values.name?.trim()
  if (values.name !== undefined && (!name || name.length > 100)) throw new UsageError('--name must be 1–100 characters.')
  const password = config.auth.admin?.password ?? (await readPassword(process.stdin, process.stderr))
  if (!password) {
    throw new UsageError(
      'create-admin reads the password from standard input, and it was empty: type it at the prompt, or pipe it as one line ' +
        `(printf '%s\\n' "$PASSWORD" | npm run cli -- create-admin --email ${email}), or set ADMIN_PASSWORD.`,
    )
  }
  const problem = passwordProblem(password, { email })
  if (problem) throw new UsageError(`The password ${problem}.`)
  return { email, password, ...(name ? { name } : {}) }
}

/**
 * The configured database. On the embedded default the CLI uses the PostgreSQL server a running Plinth
 * server started, or starts it for the command and stops it afterwards.
 */
function openDatabase(config: Config): Promise<Database> {
  return createDatabase({ ...config.database, dataDir: config.dataDir, role: 'client', log: stderrLogger() })
}

/** The services log through pino's interface; a command only needs their warnings and errors. */
function stderrLogger(): FastifyBaseLogger {
  const write =
    (level: string) =>
    (first: unknown, message?: string): void => {
      process.stderr.write(`plinth ${level}: ${typeof first === 'string' ? first : (message ?? '')}\n`)
    }
  const ignore = (): void => {}
  const logger: FastifyBaseLogger = { level: 'warn', fatal: write('fatal'), error: write('error'), warn: write('warn'), info: ignore, debug: ignore, trace: ignore, silent: ignore, child: () => logger }
  return logger
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(23)}${command.summary}`)
  return (
    `Usage: npm run cli -- <command> [options]   (help, --help or -h: this text)\n\nCommands:\n${lines.join('\n')}\n\n` +
    'The first administrator:\n' +
    '  npm run cli -- create-admin --email admin@example.com                       asks for the password\n' +
    `  printf '%s\\n' "$PASSWORD" | npm run cli -- create-admin --email admin@example.com   reads one line\n`
  )
}

const HELP = new Set(['help', '--help', '-h'])

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || HELP.has(name) || (Object.hasOwn(commands, name) && args.some((arg) => arg === '--help' || arg === '-h'))) {
    // Asked for: on standard output. No command at all: on standard error, as a usage mistake is.
    ;(name === undefined ? process.stderr : process.stdout).write(usage())
    return 0
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${usage()}`)
    return 2
  }
  return (await command.run(args)) ?? 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof PromptCancelled) {
      process.stderr.write(`plinth: ${error.message}\n`)
      process.exit(130)
    }
    const known =
      error instanceof UsageError ||
      error instanceof PasswordMismatch ||
      error instanceof ConfigError ||
      error instanceof DataDirLockedError ||
      isEmbeddedStartupError(error) ||
      error instanceof BackupRefusedError ||
      error instanceof BackupFileError
    process.stderr.write(`plinth: ${known ? error.message : describeError(error)}\n`)
    if (error instanceof UsageError) process.stderr.write(`\n${usage()}`)
    process.exit(error instanceof UsageError || error instanceof PasswordMismatch ? 2 : 1)
  },
)
