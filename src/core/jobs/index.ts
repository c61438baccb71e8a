export {
  defineJob,
  JobPayloadError,
  type JobContext,
  type JobDefinition,
  type JobOptions,
  type JobQueue,
  type JobSender,
  type JobType,
  type SendOptions,
} from './definition.js'
export { InlineJobs } from './inline-jobs.js'
export { createJobs, type Jobs, type JobsOptions, type JobsSettings, type ScheduleRecord, type StopOptions } from './jobs.js'
export type { JobRecord, JobState } from './jobs.repository.js'
