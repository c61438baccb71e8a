import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Static, TSchema } from 'typebox'
import { JobCatalog, jobName, type JobDefinition, type JobQueue, type JobType, type SendOptions } from './definition.js'

/**
 * Runs each job at once, in the sender, once: no queue, retries, delay or schedule. For processes
 * that only need the definitions' effect and run no workers, like the CLI. Payloads are still checked.
 */
export class InlineJobs implements JobQueue {
  private readonly catalog = new JobCatalog()

  constructor(private readonly log: FastifyBaseLogger) {}

  define(definitions: readonly JobDefinition[], options?: { owner?: string }): void {
    this.catalog.define(definitions, options)
  }

  send<S extends TSchema>(job: JobType<S>, payload: Static<S>, options?: SendOptions): Promise<string | null>
  send(name: string, payload: unknown, options?: SendOptions): Promise<string | null>
  async send(job: string | JobType, payload: unknown): Promise<string | null> {
    const { definition } = this.catalog.checked(jobName(job), payload)
    const id = randomUUID()
    const log = this.log.child({ job: definition.name, jobId: id })
    await definition.handle(payload, { id, name: definition.name, attempt: 1, maxAttempts: 1, log, signal: new AbortController().signal })
    return id
  }
}
