import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import type { Config } from '../config/index.js'
import { settingsNameProblem, type ModuleSettings } from '../config/module-settings.js'
import type { Actor } from './access/actor.js'
import type { PermissionDef, PermissionRegistry } from './access/permissions.js'
import type { ModuleAudit } from './audit/module-audit.js'
import type { PasswordCheck } from './auth/password-check.js'
import type { Cache } from './cache/cache.js'
import type { EncryptedData } from './crypto/encrypted-data.js'
import type { Keyring } from './crypto/keyring.js'
import type { Db } from './db/client.js'
import type { MailTemplate, ModuleMail } from './email/module-mail.js'
import type { ErrorSpec } from './errors/catalog.js'
import type { FilesApi } from './files/index.js'
import type { JobDefinition, JobSender } from './jobs/index.js'
import type { RealtimePublisher, Room } from './realtime/index.js'
import type { Signatures } from './crypto/signatures.js'
import type { RateLimitFactory } from './rate-limit/limiter.js'
import type { PresenceReader } from './realtime/presence.js'
import type { UserDirectory } from './users/directory.js'

export { defineSettings, type ModuleSettings } from '../config/module-settings.js'
export type { Room } from './realtime/index.js'

/** What the platform hands a module: its only way to reach shared services. */
export interface ModuleContext<Settings = unknown> {
  /** The module's own settings (its manifest's `settings`, parsed); `undefined` when it declares none. */
  readonly settings: Settings
  /** The few platform facts a module may need; the rest of the configuration is the platform's. */
  readonly platform: Pick<Config, 'env' | 'publicUrl'>
  readonly db: Db
  readonly log: FastifyBaseLogger
  readonly access: PermissionRegistry
  /** Publish to realtime rooms, after the transaction that caused the event commits. */
  readonly realtime: RealtimePublisher
  /** Who is connected, on any instance; the module decides who may see it. */
  readonly presence: PresenceReader
  /** Stored files: usage and each user's storage quota (`setQuota`), metadata, signed links, storing files the module makes, and `allowReads` rules letting others read a file. */
  readonly files: FilesApi
  /** Sends jobs (its own, declared by `jobs()`, or the platform's), run with retries by the job queue. */
  readonly jobs: JobSender
  /** In-process LRU, or Redis shared by every instance with REDIS_URL; prefix keys with the module's name. */
  readonly cache: Cache
  /**
   * The accounts, read-only and public fields only (id, username, name, avatar, deleted): profiles by
   * ids, search by name or username, existence checks. A module keeps user ids and asks here; it never
   * joins or imports the core tables (ESLint refuses imports of `src/core/<part>/db/` in src/modules).
   */
  readonly users: UserDirectory
  /** Sends one of the module's `mailTemplates` to an account (by id) or an address, through the `email.send` job. */
  readonly mail: ModuleMail
  /**
   * Makes a per-minute limit (`{ name, perMinute, key? }`): a preHandler hook answering 429
   * RATE_LIMITED with Retry-After, counted in Redis with REDIS_URL (shared by every instance).
   */
  readonly rateLimit: RateLimitFactory
  /**
   * The platform keyring (ENCRYPTION_KEY and ENCRYPTION_KEYS_PREVIOUS): `sealRecord(plaintext, aad)` →
   * `{ ciphertext, wrappedKey, keyId }` (store all three), `openRecord`, `rewrap` for rotation. A
   * module storing records declares `encryptedData` in its manifest. docs/deploy.md, Encryption keys.
   */
  readonly crypto: Keyring
  /** HMAC-SHA256 MACs under keys derived from ENCRYPTION_KEY, the module's name and a purpose: `start(purpose)` → `update`/`digest`, `verify` (constant-time). */
  readonly signatures: Signatures
  /** Re-confirms a signed-in account's password (`verify(userId, password)`) before something sensitive. */
  readonly passwords: PasswordCheck
  /** Writes the platform audit log (`record({ action: '<module>.<what>', … }, tx?)`); never a secret in it. */
  readonly audit: ModuleAudit
}

/**
 * A module's manifest (`src/modules/<name>/index.ts`). Methods, not function properties, so a
 * `ModuleDefinition<SomeApi>` fits in the app's list of `ModuleDefinition<unknown>`.
 */
export interface ModuleDefinition<Api = unknown, Settings = unknown> {
  readonly name: string
  readonly permissions: readonly PermissionDef[]
  /** Error codes the module adds to the catalog, prefixed with its domain. */
  readonly errors?: Record<string, ErrorSpec>
  /**
   * The module's environment variables (`defineSettings`), named `<MODULE>_…`: validated at boot with
   * the core's when the module is enabled, documented in README and `.env.example`; the parsed
   * object is `ctx.settings`.
   */
  readonly settings?: ModuleSettings<Settings>
  /** The e-mails the module sends with `ctx.mail.send({ template })`, by name (lower-case, hyphens). */
  readonly mailTemplates?: Readonly<Record<string, MailTemplate>>
  /** Wires repositories into services. */
  createApi(ctx: ModuleContext<Settings>): Api
  /** Routes, registered under `/api`. */
  routes(api: Api): FastifyPluginAsync
  /** Room kinds the module owns besides its name (`<kind>:<id>`, e.g. colorbook's `project`); no two modules share one. */
  readonly rooms?: readonly string[]
  /**
   * Checked on every realtime subscribe to one of the module's rooms (`<module>` or `<module>:<id>`, or one of its `rooms` kinds),
   * parsed: `{ name: 'chat:42', module: 'chat', id: '42' }`. Malformed names never get here.
   */
  authorizeRoom?(actor: Actor, room: Room, api: Api): Promise<boolean>
  /**
   * A client's `send` to one of the module's rooms (`typing.start`), from a socket subscribed to it,
   * its name and data already validated (docs/realtime.md). Return the data to deliver — live only,
   * no seq, to the room's other sockets — or null to refuse it (FORBIDDEN). Without this hook the
   * module's rooms refuse client events.
   */
  acceptClientEvent?(actor: Actor, room: Room, event: string, data: Record<string, unknown> | undefined, api: Api): Promise<Record<string, unknown> | null>
  /**
   * A user came online (their first socket on any instance) or went offline (their last one closed,
   * or a dead instance's entries expired): called once per change in the whole cluster, one call
   * after another per user. A failure is logged, never retried.
   */
  onPresenceChange?(userId: string, online: boolean, api: Api): Promise<void>
  /**
   * The module's background jobs, named `<module>.<job>`, registered at boot. Handlers must be
   * idempotent: a job runs at least once.
   */
  jobs?(api: Api): JobDefinition[]
  /**
   * An account's e-mail address was verified (its link was used, or a password reset proved the
   * mailbox): called after that commit, awaited by the request, once per module. A call that throws is
   * retried in a `users.module-verified.<module>` job (backing off from 2 s, about an hour in all), with
   * the account's address read again: it must be idempotent (colorbook applies the shares waiting for
   * the address).
   */
  onUserVerified?(userId: string, email: string, api: Api): Promise<void>
  /** The module's part of a user's data export. */
  exportUserData?(userId: string, api: Api): Promise<unknown>
  /**
   * Called after an account is deleted (its personal data erased, its sessions ended): erase or
   * anonymise what the module holds about the user. Runs in a `users.module-cleanup.<module>` job, after the
   * deletion has answered, retried (with backoff, about an hour in all) until it succeeds: it must be
   * idempotent, and throwing means "try again later".
   */
  onUserDeleted?(userId: string, api: Api): Promise<void>
  /**
   * The module's data encrypted with `ctx.crypto`: the key ids it names (a start refuses ids that are
   * not configured) and how to move a batch of it under the current key (`rotate-encryption-key`).
   */
  readonly encryptedData?: EncryptedData<Api>
}

/** Names the platform uses for its realtime rooms (`user:<id>`), job owners and permission prefixes. */
const RESERVED_MODULE_NAMES = new Set(['user', 'users', 'auth', 'api-keys', 'files', 'audit', 'email', 'jobs', 'retention', 'backup', 'realtime', 'platform'])

export function defineModule<Api, Settings = undefined>(definition: ModuleDefinition<Api, Settings>): ModuleDefinition<Api, Settings> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) throw new Error(`Invalid module name "${definition.name}"`)
  if (RESERVED_MODULE_NAMES.has(definition.name)) throw new Error(`Module name "${definition.name}" is the platform's own (its rooms, jobs or permissions); choose another`)
  const problem = settingsNameProblem(definition, new Set())
  if (problem) throw new Error(problem)
  return definition
}

/** The modules MODULES asks for, in the app's order; an unknown name fails the boot. */
export function selectModules(available: readonly ModuleDefinition[], wanted: readonly string[] | undefined): ModuleDefinition[] {
  if (wanted === undefined) return [...available]
  const names = new Set(available.map((m) => m.name))
  const unknown = wanted.filter((name) => !names.has(name))
  if (unknown.length > 0) {
    const known = names.size > 0 ? [...names].join(', ') : 'none yet'
    throw new Error(`MODULES names unknown module(s): ${unknown.join(', ')} (available: ${known})`)
  }
  return available.filter((m) => wanted.includes(m.name))
}
