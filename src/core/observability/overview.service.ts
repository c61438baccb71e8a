import type { Actor } from '../access/actor.js'
import type { PermissionRegistry } from '../access/permissions.js'
import type { CheckDependencies } from './health-routes.shared.js'
import { PLATFORM_READ } from './permissions.js'
import type { RequestCounts, RequestRates } from './request-rates.js'

export interface OverviewSources {
  version: string
  /** The enabled modules, in registration order. */
  modules: readonly string[]
  rates: RequestRates
  checkDependencies: CheckDependencies
  /** Seconds the process has run (process.uptime). */
  uptimeSeconds?: () => number
}

export interface Overview {
  version: string
  modules: string[]
  startedAt: string
  uptimeSeconds: number
  requests: {
    lastMinute: RequestCounts & { seconds: number; perSecond: number; serverErrorRatio: number }
    sinceStart: RequestCounts
  }
  ready: boolean
  /** As dependencyChecks answers (src/core/observability/health-routes.shared.ts). */
  dependencies: Record<string, 'ok' | 'timeout' | 'unreachable'>
}

/** What the admin console's Overview shows of this instance, without reading /metrics itself. */
export class OverviewService {
  private readonly uptime: () => number

  constructor(
    private readonly sources: OverviewSources,
    private readonly access: PermissionRegistry,
  ) {
    access.assertKnown(PLATFORM_READ)
    this.uptime = sources.uptimeSeconds ?? (() => process.uptime())
  }

  async get(actor: Actor): Promise<Overview> {
    this.access.require(actor, PLATFORM_READ)
    const checks = await this.sources.checkDependencies()
    const { window, sinceStart } = this.sources.rates.snapshot()
    const uptime = this.uptime()
    return {
      version: this.sources.version,
      modules: [...this.sources.modules],
      startedAt: new Date(Date.now() - uptime * 1000).toISOString(),
      uptimeSeconds: Math.floor(uptime),
      requests: {
        lastMinute: {
          ...window,
          perSecond: round(window.requests / window.seconds),
          serverErrorRatio: window.requests === 0 ? 0 : round(window.serverErrors / window.requests),
        },
        sinceStart,
      },
      ready: checks.every(([, result]) => result === 'ok'),
      dependencies: Object.fromEntries(checks) as Overview['dependencies'],
    }
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000
