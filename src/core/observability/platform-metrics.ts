import { Counter, Gauge, type Registry } from 'prom-client'
import type { Jobs } from '../jobs/index.js'
import type { RealtimeGateway } from '../realtime/gateway.js'

interface Sources {
  jobs: Pick<Jobs, 'onDeadLetter'>
  gateway: Pick<RealtimeGateway, 'size' | 'onSlowConsumer'>
}

/**
 * The job queue's and the realtime gateway's metrics, on the app's registry (what
 * deploy/prometheus/plinth-alerts.yml alerts on). Counters count this process's events since start.
 */
export function installPlatformMetrics(registry: Registry, { jobs, gateway }: Sources): void {
  const deadLetters = new Counter({
    name: 'plinth_job_dead_letters_total',
    help: 'Jobs whose last attempt failed in this process (dead-lettered), by job name (job_name: Prometheus keeps `job` for the scrape job)',
    labelNames: ['job_name'],
    registers: [registry],
  })
  jobs.onDeadLetter((name) => deadLetters.inc({ job_name: name }))

  const slowConsumers = new Counter({
    name: 'plinth_realtime_slow_consumer_closes_total',
    help: 'Realtime sockets closed (4409) because their unsent backlog passed REALTIME_MAX_BUFFER_BYTES',
    registers: [registry],
  })
  gateway.onSlowConsumer(() => slowConsumers.inc())

  new Gauge({
    name: 'plinth_realtime_sockets',
    help: 'Authenticated realtime sockets open on this instance',
    registers: [registry],
    collect() {
      this.set(gateway.size)
    },
  })
}
