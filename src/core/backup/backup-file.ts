import { createWriteStream } from 'node:fs'
import { link, rename, rm, unlink } from 'node:fs/promises'
import { writeBackup, type BackupSummary } from './backup.service.js'
import { BackupRefusedError, type BackupHeader } from './format.js'
import type { RestoreSummary } from './restore.service.js'

/**
 * `npm run cli -- backup`: into `path` (`-`: standard output). A file appears only when complete: the
 * backup goes to `<path>.partial` and is renamed at the end; an existing file is never overwritten.
 */
export async function backupToFile(url: string, path: string): Promise<BackupSummary> {
  if (path === '-') return writeBackup(url, process.stdout)
  const partial = `${path}.partial`
  const file = createWriteStream(partial, { flags: 'wx', mode: 0o600 })
  try {
    await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupRefusedError(`${partial} exists: another backup is being written there, or one was interrupted (delete it)`)
    throw error
  }
  try {
    const summary = await writeBackup(url, file)
    await renameNew(partial, path)
    return summary
  } catch (error) {
    file.destroy()
    await rm(partial, { force: true })
    throw error
  }
}

/** Renames without replacing: a backup never overwrites an existing file. */
async function renameNew(from: string, to: string): Promise<void> {
  try {
    await link(from, to)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new BackupRefusedError(`${to} already exists: choose another file name (a backup never overwrites a file)`)
    // File systems without hard links: a plain rename (the name was free a moment ago).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') return rename(from, to)
    throw error
  }
  await unlink(from)
}

const count = (n: number, what: string): string => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

const version = (header: BackupHeader): string => `migration ${header.migrations.count}${header.migrations.lastTag ? ` (${header.migrations.lastTag})` : ''}`

export function describeBackup(path: string, summary: BackupSummary): string {
  const where = path === '-' ? 'standard output' : path
  return (
    `Backup written to ${where}: ${count(summary.rows.length, 'table')}, ${count(summary.totalRows, 'row')}, ${size(summary.bytes)} ` +
    `(PostgreSQL ${summary.header.postgresVersion}, ${version(summary.header)}).\n` +
    'It holds password hashes and encrypted data: keep it as safe as the database itself.\n'
  )
}

export function describeRestore(path: string, summary: RestoreSummary, target: string): string {
  const { header } = summary
  return (
    `Restored ${path} into ${target}: ${count(summary.rows.length, 'table')}, ${count(summary.totalRows, 'row')} ` +
    `(written ${header.createdAt} by Plinth ${header.plinthVersion} from PostgreSQL ${header.postgresVersion}, ${version(header)}).\n`
  )
}
