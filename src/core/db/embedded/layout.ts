import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Only the socket file's name: the embedded server listens on no TCP port. */
export const SOCKET_PORT = 5432
/** sun_path holds 104 bytes on macOS and 108 on Linux, with the terminating NUL. */
const MAX_SOCKET_PATH = 103

export interface EmbeddedLayout {
  dataDir: string
  /** The PostgreSQL cluster (PGDATA). */
  clusterDir: string
  /** Where the server's socket lives: the cluster itself, or a short private folder when DATA_DIR is too deep. */
  socketDir: string
  /** The server's own log (inside the cluster, which only the PostgreSQL account may write). */
  logFile: string
  /** PGlite's folder from earlier versions. */
  legacyPgliteDir: string
}

export function embeddedLayout(dataDir: string): EmbeddedLayout {
  const clusterDir = join(dataDir, 'postgres')
  return {
    dataDir,
    clusterDir,
    socketDir: fitsSocketPath(clusterDir) ? clusterDir : shortSocketDir(dataDir),
    logFile: join(clusterDir, 'server.log'),
    legacyPgliteDir: join(dataDir, 'pgdata'),
  }
}

export const socketPath = (socketDir: string): string => join(socketDir, `.s.PGSQL.${SOCKET_PORT}`)

function fitsSocketPath(dir: string): boolean {
  return Buffer.byteLength(socketPath(dir)) <= MAX_SOCKET_PATH
}

/** A folder named after DATA_DIR, so every process on that DATA_DIR finds the same one. */
function shortSocketDir(dataDir: string): string {
  const base = existsSync('/tmp') ? '/tmp' : tmpdir()
  const dir = join(base, `plinth-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`)
  if (!fitsSocketPath(dir)) throw new Error(`No short folder for the database socket: ${dir} is too long; set DATA_DIR to a shorter path`)
  return dir
}
