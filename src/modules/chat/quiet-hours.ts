import type { QuietHours } from './notifications.repository.js'

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/

const minutesOf = (hhmm: string): number | undefined => {
  const match = HH_MM.exec(hhmm)
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined
}

/** Minutes since midnight at `at` in `timeZone`; undefined for a zone the runtime does not know. */
function localMinutes(at: Date, timeZone: string): number | undefined {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
    const hour = Number(parts.find((p) => p.type === 'hour')?.value)
    const minute = Number(parts.find((p) => p.type === 'minute')?.value)
    return Number.isInteger(hour) && Number.isInteger(minute) ? hour * 60 + minute : undefined
  } catch {
    return undefined
  }
}

/**
 * How many minutes of the user's quiet hours remain at `at` (0: not quiet now). The window may
 * cross midnight (22:00–07:00); start = end means no quiet hours. Malformed settings (a bad time or
 * zone) count as no quiet hours: a notification is better late than lost.
 */
export function quietMinutesLeft(quiet: QuietHours | null, at: Date): number {
  if (!quiet) return 0
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  const now = localMinutes(at, quiet.timeZone)
  if (start === undefined || end === undefined || now === undefined || start === end) return 0
  const inside = start < end ? now >= start && now < end : now >= start || now < end
  return inside ? (end - now + 1440) % 1440 : 0
}

/** When the quiet hours around `at` end (`at` itself when it is not quiet), to the minute. */
export function quietHoursEnd(quiet: QuietHours | null, at: Date): Date {
  const left = quietMinutesLeft(quiet, at)
  if (left === 0) return at
  const end = new Date(at.getTime() + left * 60_000)
  end.setUTCSeconds(0, 0)
  return end
}
