import { describe, expect, it } from 'vitest'
import { quietHoursEnd, quietMinutesLeft } from './quiet-hours.js'

const utc = (hhmm: string) => new Date(`2026-03-10T${hhmm}:30.000Z`)

describe('quiet hours', () => {
  it('inside a window within one day: the minutes until it ends', () => {
    const quiet = { start: '12:00', end: '14:00', timeZone: 'UTC' }
    expect(quietMinutesLeft(quiet, utc('11:59'))).toBe(0)
    expect(quietMinutesLeft(quiet, utc('12:00'))).toBe(120)
    expect(quietMinutesLeft(quiet, utc('13:30'))).toBe(30)
    expect(quietMinutesLeft(quiet, utc('14:00'))).toBe(0)
  })

  it('a window across midnight', () => {
    const quiet = { start: '22:00', end: '07:00', timeZone: 'UTC' }
    expect(quietMinutesLeft(quiet, utc('21:59'))).toBe(0)
    expect(quietMinutesLeft(quiet, utc('23:00'))).toBe(480)
    expect(quietMinutesLeft(quiet, utc('06:00'))).toBe(60)
    expect(quietMinutesLeft(quiet, utc('07:00'))).toBe(0)
  })

  it('in the user’s time zone, not the server’s', () => {
    // 21:30 UTC is 22:30 in Berlin (winter time): quiet there until 07:00 local = 06:00 UTC.
    const quiet = { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' }
    expect(quietMinutesLeft(quiet, utc('21:30'))).toBe(510)
    expect(quietHoursEnd(quiet, utc('21:30')).toISOString()).toBe('2026-03-11T06:00:00.000Z')
    expect(quietMinutesLeft(quiet, utc('20:30'))).toBe(0)
  })

  it('none, empty and malformed settings are not quiet', () => {
    const at = utc('03:00')
    expect(quietMinutesLeft(null, at)).toBe(0)
    expect(quietMinutesLeft({ start: '03:00', end: '03:00', timeZone: 'UTC' }, at)).toBe(0)
    expect(quietMinutesLeft({ start: '25:00', end: '07:00', timeZone: 'UTC' }, at)).toBe(0)
    expect(quietMinutesLeft({ start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' }, at)).toBe(0)
    expect(quietHoursEnd(null, at)).toBe(at)
  })
})
