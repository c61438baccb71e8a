import { servers, type ServerDefinition, type ServerName } from '../servers/index.js'
import { startChild, type ChildServer } from './child.js'

/**
 * Starts bench servers on demand and keeps at most one running, so an idle server never takes
 * CPU from the one being measured. `stopAll` must run on every exit path.
 */
export class ServerPool {
  private current: ChildServer | undefined
  private currentName: ServerName | undefined
  private readonly failed = new Set<ServerName>()

  constructor(private readonly parentEnv: NodeJS.ProcessEnv) {}

  async use(name: ServerName): Promise<ChildServer> {
    if (this.current && this.currentName === name) return this.current
    // Its output was shown at the first failure; one attempt per run is enough.
    if (this.failed.has(name)) throw new Error(`the ${name} server failed to start (see above)`)
    await this.stopAll()
    const definition: ServerDefinition = servers[name]
    this.currentName = name
    try {
      this.current = await startChild({ name, script: definition.script, nodeArgs: definition.nodeArgs ?? [], env: { ...this.baseEnv(), ...definition.env(this.parentEnv) }, ...(definition.readyTimeoutMs ? { timeoutMs: definition.readyTimeoutMs } : {}) })
    } catch (error) {
      this.failed.add(name)
      throw error
    }
    return this.current
  }

  async stopAll(): Promise<void> {
    const running = this.current
    this.current = undefined
    this.currentName = undefined
    await running?.stop()
  }

  /**
   * Only what node and tsx need, plus libuv's thread-pool size (where argon2 hashes: the app and the
   * raw argon2 baseline must get the same one). Servers take their configuration from the bench, not the shell.
   */
  private baseEnv(): Record<string, string | undefined> {
    const { PATH, HOME, TMPDIR, UV_THREADPOOL_SIZE } = this.parentEnv
    return { PATH, HOME, TMPDIR, UV_THREADPOOL_SIZE, NODE_ENV: 'production' }
  }
}
