import { Writable } from 'node:stream'
import { buildApp } from '../app.js'
import type { Config } from '../config/index.js'
import { rotateEncryptedData } from '../core/crypto/encrypted-data.js'
import type { Database } from '../core/db/client.js'

/**
 * `npm run cli -- rotate-encryption-key`: the app as the server builds it (the same boot checks, the
 * modules' apis) but serving nothing and running no jobs, then every source's data moved under the
 * current key in batches. Safe while servers run, and to run again: what is under the key stays.
 */
export async function rotateEncryptionKey(config: Config, database: Database): Promise<{ output: string; failed: boolean }> {
  const app = await buildApp(
    { ...config, logLevel: config.logLevel === 'silent' ? 'silent' : 'warn', jobs: { ...config.jobs, workers: false } },
    { database, logStream: stderrLines() },
  )
  try {
    await app.ready()
    const { keyring } = app.platform
    const counts = await rotateEncryptedData(keyring, app.encryptedData)
    const inUse = new Set<string>()
    for (const source of app.encryptedData) for (const id of await source.keyIdsInUse()) inUse.add(id)
    const lines = counts.map(({ name, rewrapped, failed }) => `  ${name}: ${rewrapped} moved${failed > 0 ? `, ${failed} could not be opened (left as they are)` : ''}\n`)
    const unused = keyring.keyIds().filter((id) => id !== keyring.currentKeyId && !inUse.has(id))
    const still = [...inUse].filter((id) => id !== keyring.currentKeyId)
    const failed = counts.some((count) => count.failed > 0)
    const summary = still.length > 0
      ? `Key ids still in use besides "${keyring.currentKeyId}": ${still.join(', ')} (run again once every instance seals with "${keyring.currentKeyId}").\n`
      : `Everything encrypted is under key id "${keyring.currentKeyId}".${unused.length > 0 ? ` Nothing names ${unused.map((id) => `"${id}"`).join(', ')}: remove ${unused.length === 1 ? 'it' : 'them'} from ENCRYPTION_KEYS_PREVIOUS.` : ''}\n`
    return { output: `Moved to key id "${keyring.currentKeyId}":\n${lines.join('')}${summary}`, failed }
  } finally {
    await app.close()
  }
}

/** The app's JSON log lines on standard error, so standard output holds the report only. */
function stderrLines(): NodeJS.WritableStream {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stderr.write(chunk, () => done())
    },
  })
}
