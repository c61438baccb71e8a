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
export { createJobs, type JobConnection, type Jobs, type JobsOptions, type JobsSettings, type QueueSummary, type ScheduleRecord, type StopOptions } from './jobs.js'
export type { FailedJobRecord, FailedJobsQuery, JobRecord, JobState } from './jobs.repository.js'
