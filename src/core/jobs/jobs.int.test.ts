import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import Type from 'typebox'
import { sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { closeTestDatabase, testDatabase } from '../../../test/helpers/database.js'
import { sleep, waitFor } from '../../../test/helpers/identity.js'
import { defineJob, JobPayloadError, type JobContext, type JobDefinition } from './definition.js'
import { createJobs, type Jobs, type JobsOptions } from './jobs.js'
import type { JobState } from './jobs.repository.js'

/** The queue on the file's test database (its worker's copy of the run's template), in a schema of its own. */
const schema = `jobs_${randomUUID().replaceAll('-', '').slice(0, 16)}`
const log = pino({ level: 'silent' })

/** A started instance, stopped after the test. */
async function startJobs(definitions: JobDefinition[], options: Partial<JobsOptions> = {}): Promise<Jobs> {
  const jobs = await openJobs(definitions, options)
  running.push(jobs)
  return jobs
}

async function openJobs(definitions: JobDefinition[], options: Partial<JobsOptions> = {}): Promise<Jobs> {
  const jobs = createJobs({
    database: await testDatabase(),
    workers: true,
    concurrency: 2,
    pollIntervalMs: 500,
    schema,
    log,
    cronCheckSeconds: 1,
    ...options,
  })
  jobs.define(definitions)
  await jobs.start()
  return jobs
}

const running: Jobs[] = []
/** Reads jobs whatever the other instances do (a stopped instance has let go of its connections). */
let inspector: Jobs

beforeAll(async () => {
  inspector = await openJobs([], { workers: false })
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((jobs) => jobs.stop({ graceful: false })))
})

afterAll(async () => {
  await inspector?.stop()
  await closeTestDatabase()
})

let sequence = 0
/** A job name of its own per test: instances share the file's queue. */
const uniqueName = (): string => `test${++sequence}.job`

const Greeting = Type.Object({ greeting: Type.String(), n: Type.Integer() })

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

const stateOf = async (name: string, id: string): Promise<JobState | undefined> => (await inspector.find(name, id))?.state

const until = (name: string, id: string, state: JobState, timeoutMs = 10_000) =>
  waitFor(async () => ((await stateOf(name, id)) === state ? state : undefined), timeoutMs)

describe('sending and running', () => {
  it('runs a job with its payload and records it completed', async () => {
    const name = uniqueName()
    const received = deferred<{ payload: unknown; job: JobContext }>()
    const jobs = await startJobs([defineJob({ name, payload: Greeting, handle: async (payload, job) => received.resolve({ payload, job }) })])

    const id = await jobs.send({ name, payload: Greeting }, { greeting: 'hello', n: 1 })

    const { payload, job } = await received.promise
    expect(payload).toEqual({ greeting: 'hello', n: 1 })
    expect(job).toMatchObject({ id, name, attempt: 1, maxAttempts: 4 })
    await until(name, id!, 'completed')
    expect(await inspector.find(name, id!)).toMatchObject({ state: 'completed', attempts: 1, payload: { greeting: 'hello', n: 1 }, error: undefined })
  })

  it('refuses an invalid payload at send, storing nothing, and an undefined job', async () => {
    const name = uniqueName()
    const jobs = await startJobs([defineJob({ name, payload: Greeting, handle: async () => {} })])

    const refused = await jobs.send(name, { greeting: 42 }).catch((error: unknown) => error)

    expect(refused).toBeInstanceOf(JobPayloadError)
    expect((refused as JobPayloadError).details).toEqual({ '/greeting': 'must be string', '': expect.stringContaining('n') })
    expect(await inspector.list(name)).toEqual([])
    await expect(jobs.send('nobody.defined-this', {})).rejects.toThrow(/Unknown job "nobody.defined-this"/)
  })

  it('dead-letters at once a stored payload that no longer matches the schema, without running it', async () => {
    const name = uniqueName()
    const loose = defineJob({ name, payload: Type.Object({ greeting: Type.Unknown() }), handle: async () => {} })
    const sender = await startJobs([loose], { workers: false })
    let ran = false
    await startJobs([defineJob({ name, payload: Greeting, retryLimit: 3, handle: async () => void (ran = true) })])

    const id = await sender.send(loose, { greeting: ['not', 'a', 'string'] })

    await until(name, id!, 'failed')
    expect(ran).toBe(false)
    expect(await inspector.find(name, id!)).toMatchObject({ attempts: 1, maxAttempts: 1, error: expect.stringContaining('/greeting must be string') })
  })

  it('drops a second send with the same singletonKey within singletonSeconds', async () => {
    const name = uniqueName()
    const jobs = await startJobs([defineJob({ name, payload: Greeting, handle: async () => {} })], { workers: false })

    const first = await jobs.send(name, { greeting: 'once', n: 1 }, { singletonKey: 'k', singletonSeconds: 60 })
    const second = await jobs.send(name, { greeting: 'twice', n: 2 }, { singletonKey: 'k', singletonSeconds: 60 })

    expect(first).toEqual(expect.any(String))
    expect(second).toBeNull()
    expect((await inspector.list(name)).map((job) => job.payload)).toEqual([{ greeting: 'once', n: 1 }])
  })

  it('brings a queue made by an earlier deployment up to the settings the code now declares', async () => {
    const name = uniqueName()
    const before = await openJobs([defineJob({ name, payload: Greeting, retryLimit: 1, handle: async () => {} })], { workers: false })
    await before.stop()
    const storedRetryLimit = async () => {
      // postgres.js answers the rows as an array.
      const rows: unknown = await (await testDatabase()).db.execute(sql`SELECT retry_limit FROM ${sql.identifier(schema)}.queue WHERE name = ${name}`)
      return (rows as { retry_limit: number }[])[0]?.retry_limit
    }
    expect(await storedRetryLimit()).toBe(1)

    await startJobs([defineJob({ name, payload: Greeting, retryLimit: 4, handle: async () => {} })], { workers: false })

    expect(await storedRetryLimit()).toBe(4)
  })
})

describe('failures', () => {
  it('retries with exponential backoff, dead-letters after retryLimit + 1 attempts, and can retry a dead letter', async () => {
    const name = uniqueName()
    const startedAt: number[] = []
    const jobs = await startJobs([
      defineJob({
        name,
        payload: Greeting,
        retryLimit: 2,
        retryDelaySeconds: 1,
        handle: async (_payload, job) => {
          startedAt.push(Date.now())
          if (job.attempt <= 3) throw new Error(`failure ${job.attempt} of ${job.maxAttempts}`)
        },
      }),
    ])

    const id = (await jobs.send(name, { greeting: 'flaky', n: 1 }))!

    await until(name, id, 'failed', 20_000)
    expect(startedAt).toHaveLength(3)
    // Each wait is at least retryDelay × 2^(retry − 1) (jitter only adds): 1 s, then 2 s.
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(1000 - 20)
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(2000 - 20)
    const [dead] = await inspector.deadLetters(name)
    expect(dead).toMatchObject({ id, state: 'failed', attempts: 3, maxAttempts: 3, error: 'failure 3 of 3', finishedAt: expect.any(Date) })

    expect(await jobs.retry(name, id)).toBe(true)
    await until(name, id, 'completed')
    expect(startedAt).toHaveLength(4)
    expect(await inspector.deadLetters(name)).toEqual([])
    expect(await jobs.retry(name, id)).toBe(false)
  })

  it('aborts a run that exceeds timeoutSeconds and counts it as a failed attempt', async () => {
    const name = uniqueName()
    const aborted = deferred<unknown>()
    const jobs = await startJobs([
      defineJob({
        name,
        payload: Greeting,
        retryLimit: 0,
        timeoutSeconds: 1,
        handle: (_payload, job) => new Promise((_resolve, reject) => job.signal.addEventListener('abort', () => (aborted.resolve(job.signal.reason), reject(job.signal.reason as Error)))),
      }),
    ])

    const id = (await jobs.send(name, { greeting: 'slow', n: 1 }))!

    expect(await aborted.promise).toEqual(new Error('The job timed out after 1 s'))
    await until(name, id, 'failed')
    expect((await inspector.find(name, id))!.error).toBe('The job timed out after 1 s')
  })
})

describe('timing', () => {
  it('does not run a delayed job before its startAfter', async () => {
    const name = uniqueName()
    const ran = deferred<number>()
    const jobs = await startJobs([defineJob({ name, payload: Greeting, handle: async () => ran.resolve(Date.now()) })])
    const startAfter = new Date(Date.now() + 1500)

    const id = (await jobs.send(name, { greeting: 'later', n: 1 }, { startAfter }))!

    await sleep(500)
    expect(await stateOf(name, id)).toBe('created')
    expect(await ran.promise).toBeGreaterThanOrEqual(startAfter.getTime())
    await until(name, id, 'completed')
  })

  it('registers a cron schedule from the definition, sends it on time, and removes it with the definition', async () => {
    const name = uniqueName()
    const fired = deferred<unknown>()
    const scheduled = defineJob({ name, payload: Greeting, schedule: { cron: '* * * * *', payload: { greeting: 'tick', n: 60 } }, handle: async (payload) => fired.resolve(payload) })
    const jobs = await startJobs([scheduled])

    expect(await inspector.schedules()).toContainEqual({ name, cron: '* * * * *', timezone: 'UTC', payload: { greeting: 'tick', n: 60 } })
    // Every minute's schedule is due at once; the cron check runs every second here.
    expect(await fired.promise).toEqual({ greeting: 'tick', n: 60 })

    await jobs.stop()
    const { schedule: _removed, ...unscheduled } = scheduled
    await startJobs([unscheduled], { workers: false })
    expect((await inspector.schedules()).map((schedule) => schedule.name)).not.toContain(name)
  })
})

describe('refusing bad definitions', () => {
  it('does not start with a schedule that cannot be parsed', async () => {
    const name = uniqueName()
    const broken = defineJob({ name, payload: Greeting, schedule: { cron: '61 * * * *', payload: { greeting: 'never', n: 0 } }, handle: async () => {} })
    await expect(openJobs([broken])).rejects.toThrow(`Job "${name}": cannot schedule "61 * * * *" (UTC)`)
  })

  it('does not start with a schedule whose payload does not match the job', async () => {
    const name = uniqueName()
    const broken = defineJob({ name, payload: Greeting, schedule: { cron: '0 * * * *', payload: { greeting: 'hourly' } as never }, handle: async () => {} })
    await expect(openJobs([broken])).rejects.toBeInstanceOf(JobPayloadError)
  })

  it('refuses definitions once started', async () => {
    const jobs = await startJobs([])
    expect(() => jobs.define([defineJob({ name: uniqueName(), payload: Greeting, handle: async () => {} })])).toThrow('Define jobs before the job queue starts')
  })
})

describe('several instances on one database', () => {
  it('runs each job exactly once when two instances work the same queue', async () => {
    const name = uniqueName()
    const runs: { instance: string; n: number }[] = []
    const worker = (instance: string) =>
      defineJob({
        name,
        payload: Greeting,
        handle: async ({ n }) => {
          runs.push({ instance, n })
          await sleep(20)
        },
      })
    const a = await startJobs([worker('a')])
    const b = await startJobs([worker('b')])

    const ids = await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? a : b).send(name, { greeting: 'hi', n })))

    await waitFor(async () => ((await inspector.list(name, { state: 'completed' })).length === ids.length ? true : undefined), 20_000)
    expect(runs.map((run) => run.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, n) => n))
    expect(new Set(runs.map((run) => run.instance))).toEqual(new Set(['a', 'b']))
  })
})

describe('stopping', () => {
  it('waits for a running job to finish, and records it', async () => {
    const name = uniqueName()
    const started = deferred<void>()
    let finished = false
    const jobs = await startJobs([
      defineJob({
        name,
        payload: Greeting,
        handle: async () => {
          started.resolve()
          await sleep(700)
          finished = true
        },
      }),
    ])
    const id = (await jobs.send(name, { greeting: 'bye', n: 1 }))!
    await started.promise

    await jobs.stop({ timeoutMs: 10_000 })

    expect(finished).toBe(true)
    expect(await stateOf(name, id)).toBe('completed')
    await expect(jobs.send(name, { greeting: 'too late', n: 2 })).rejects.toThrow(/stopped/)
  })

  it('gives up after its timeout: the handler is aborted and the job goes back to be retried', async () => {
    const name = uniqueName()
    const started = deferred<void>()
    let completedNaturally = false
    const jobs = await startJobs([
      defineJob({
        name,
        payload: Greeting,
        retryDelaySeconds: 60,
        handle: async (_payload, job) => {
          started.resolve()
          await Promise.race([sleep(20_000), new Promise((resolve) => job.signal.addEventListener('abort', resolve))])
          if (job.signal.aborted) throw job.signal.reason as Error
          completedNaturally = true
        },
      }),
    ])
    const id = (await jobs.send(name, { greeting: 'stuck', n: 1 }))!
    await started.promise

    await jobs.stop({ timeoutMs: 1000 })

    expect(completedNaturally).toBe(false)
    await until(name, id, 'retry')
    expect(await inspector.find(name, id)).toMatchObject({ attempts: 1, error: expect.stringMatching(/stopped|shut down/) })
  })
})
