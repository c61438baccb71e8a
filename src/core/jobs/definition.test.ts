import { pino } from 'pino'
import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { defineJob, JobCatalog, JobPayloadError, type JobDefinition } from './definition.js'
import { InlineJobs } from './inline-jobs.js'

const Payload = Type.Object({ to: Type.String(), count: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false })
const job = (overrides: Partial<JobDefinition<typeof Payload>> = {}): JobDefinition<typeof Payload> => ({
  name: 'mail.send',
  payload: Payload,
  handle: async () => {},
  ...overrides,
})

describe('defineJob', () => {
  it.each(['send', 'Mail.send', 'mail.', 'mail send', 'mail.Send', '1mail.send', 'mail..send'])('refuses the name %j', (name) => {
    expect(() => defineJob(job({ name }))).toThrow(/must be <owner>.<job>/)
  })

  it('accepts <owner>.<job> names with hyphens, digits and further dots', () => {
    for (const name of ['email.send', 'cylinders.daily-report', 'colorbook.pages.render2']) expect(defineJob(job({ name })).name).toBe(name)
  })

  it('refuses a payload schema that is not an object, and out-of-range settings', () => {
    expect(() => defineJob({ name: 'mail.send', payload: Type.String(), handle: async () => {} })).toThrow(/must be an object/)
    expect(() => defineJob(job({ retryLimit: -1 }))).toThrow(/retryLimit must be an integer 0–100/)
    expect(() => defineJob(job({ retryDelaySeconds: 0 }))).toThrow(/retryDelaySeconds must be an integer 1–86400/)
    expect(() => defineJob(job({ timeoutSeconds: 1.5 }))).toThrow(/timeoutSeconds/)
    expect(() => defineJob(job({ concurrency: 0 }))).toThrow(/concurrency/)
  })
})

describe('JobCatalog', () => {
  it('refuses a name defined twice, and an owner’s job without its prefix', () => {
    const catalog = new JobCatalog()
    catalog.define([job()])
    expect(() => catalog.define([job()])).toThrow('Job "mail.send" is defined twice')
    expect(() => catalog.define([job({ name: 'other.send' })], { owner: 'chat' })).toThrow('Job "other.send" of "chat" must be named "chat.<job>"')
    expect(() => catalog.define([job({ name: 'chat.notify' })], { owner: 'chat' })).not.toThrow()
  })

  it('checks payloads, naming every problem by its path', () => {
    const catalog = new JobCatalog()
    catalog.define([job()])
    expect(catalog.checked('mail.send', { to: 'a@b.c', count: 2 }).definition.name).toBe('mail.send')

    const error = (() => {
      try {
        catalog.checked('mail.send', { count: 0, extra: true })
      } catch (caught) {
        return caught
      }
    })() as JobPayloadError
    expect(error).toBeInstanceOf(JobPayloadError)
    expect(error.details).toMatchObject({ '/count': expect.stringContaining('1'), '': expect.any(String) })
    expect(error.message).toMatch(/^Invalid payload for job "mail.send": /)
    expect(() => catalog.checked('mail.unknown', {})).toThrow(/Unknown job "mail.unknown"/)
  })
})

describe('InlineJobs', () => {
  it('runs the handler at once, once, after checking the payload', async () => {
    const seen: unknown[] = []
    const jobs = new InlineJobs(pino({ level: 'silent' }))
    jobs.define([job({ handle: async (payload, context) => void seen.push({ payload, attempt: context.attempt }) })])

    expect(await jobs.send({ name: 'mail.send', payload: Payload }, { to: 'x@y.z' })).toEqual(expect.any(String))
    await expect(jobs.send('mail.send', { to: 7 })).rejects.toBeInstanceOf(JobPayloadError)
    expect(seen).toEqual([{ payload: { to: 'x@y.z' }, attempt: 1 }])
  })
})
