import { checkRealtime } from '../lib/realtime.js'
import { measureUploadMemory } from '../lib/upload.js'
import type { Scenario } from './scenario.js'

const UPLOAD_BYTES = 50 * 1024 * 1024
/** Streaming holds a few chunks per upload; buffering would hold all 50 MiB. */
const PEAK_GOAL_MIB = 16

/**
 * One 50 MiB upload through POST /api/files to local disk: the server's peak RSS while it streams,
 * over its RSS before (after a full GC). Flat memory means the peak stays far below the file's size.
 */
export const uploadMemory: Scenario = {
  key: 'upload-memory',
  label: 'upload 50 MiB',
  title: 'Plinth POST /api/files, 50 MiB, peak RSS',
  server: 'app',
  againstBaseline: false,
  warmup: false,
  connections: () => 1,
  limits: [
    {
      what: 'peak RSS over before, while a 50 MiB upload streams',
      unit: 'MiB',
      comparison: '≤',
      limit: PEAK_GOAL_MIB,
      value: (m) => {
        const peak = m.memory?.perUnit[0]
        return peak === undefined ? undefined : peak.rssBytes / 1024 / 1024
      },
    },
  ],
  check: (target) => checkRealtime(target, 'embedded'),
  measure: (target) => measureUploadMemory(target, UPLOAD_BYTES),
}
