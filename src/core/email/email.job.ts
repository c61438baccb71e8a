import Type from 'typebox'
import { defineJob, type JobDefinition, type JobType } from '../jobs/index.js'
import type { Mailer } from './mailer.js'

export const EmailPayload = Type.Object(
  {
    to: Type.String({ minLength: 3 }),
    subject: Type.String({ minLength: 1 }),
    text: Type.String(),
    html: Type.Optional(Type.String()),
    link: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/** Every e-mail goes through this job, so a mail server that is down delays messages instead of losing them. */
export const SendEmail: JobType<typeof EmailPayload> = { name: 'email.send', payload: EmailPayload }

/**
 * Delivers with the configured mailer (SMTP, or the outbox). Six attempts, backing off from 30 s:
 * a message that keeps failing is retried for 15–30 minutes before it is dead-lettered.
 */
export function sendEmailJob(mailer: Mailer): JobDefinition<typeof EmailPayload> {
  return defineJob({
    ...SendEmail,
    retryLimit: 5,
    retryDelaySeconds: 30,
    timeoutSeconds: 60,
    handle: (message) => mailer.send(message),
  })
}
