import { describe, expect, it } from 'vitest'
import { ACTIONS, CYLINDER_STATUSES, dayIn, isTestOverdue, MOVES, refuseMove, type CylinderStatus } from './domain.js'

const today = '2026-06-15'
const valid = { nextTestDue: '2027-01-01' }

/** Every status each move and action accepts: the state machine as a table. */
const accepted = (change: (typeof MOVES)[keyof typeof MOVES] | (typeof ACTIONS)[keyof typeof ACTIONS]): CylinderStatus[] =>
  CYLINDER_STATUSES.filter((status) => refuseMove(change, { status, ...valid }, today) === undefined)

describe('the cylinder state machine', () => {
  it.each([
    ['ship', ['available'], 'sent'],
    ['return', ['sent', 'lost'], 'returned'],
    ['refill_send', ['returned'], 'in_refill'],
    ['refill_receive', ['in_refill'], 'available'],
  ] as const)('%s moves %j to %s and refuses every other status', (type, from, to) => {
    expect(accepted(MOVES[type])).toEqual(from)
    expect(MOVES[type].to).toBe(to)
  })

  it.each([
    ['quarantine', ['available', 'sent', 'returned', 'in_refill', 'lost'], 'quarantined'],
    ['release', ['quarantined'], 'returned'],
    ['lose', ['sent'], 'lost'],
    ['trash', ['available', 'sent', 'returned', 'in_refill', 'quarantined', 'lost'], 'trashed'],
  ] as const)('%s takes %j to %s', (type, from, to) => {
    expect(accepted(ACTIONS[type])).toEqual(from)
    expect(ACTIONS[type].to).toBe(to)
  })

  it('lets nothing leave trashed', () => {
    for (const change of [...Object.values(MOVES), ...Object.values(ACTIONS)]) expect(refuseMove(change, { status: 'trashed', ...valid }, today)).toMatchObject({ reason: 'INVALID_STATUS' })
  })

  it('refuses refill moves past the test date, not ship or return', () => {
    const overdue = { nextTestDue: '2026-06-14' }
    expect(refuseMove(MOVES.refill_send, { status: 'returned', ...overdue }, today)).toMatchObject({ reason: 'TEST_OVERDUE' })
    expect(refuseMove(MOVES.refill_receive, { status: 'in_refill', ...overdue }, today)).toMatchObject({ reason: 'TEST_OVERDUE' })
    expect(refuseMove(MOVES.ship, { status: 'available', ...overdue }, today)).toBeUndefined()
    expect(refuseMove(MOVES.return, { status: 'sent', ...overdue }, today)).toBeUndefined()
  })

  it('counts a test due today as still valid, and no date as never overdue', () => {
    expect(isTestOverdue('2026-06-15', today)).toBe(false)
    expect(isTestOverdue('2026-06-14', today)).toBe(true)
    expect(isTestOverdue(null, today)).toBe(false)
  })
})

describe('the depot’s day', () => {
  it('is the calendar day in the configured time zone', () => {
    const lateEvening = new Date('2026-06-15T23:30:00Z')
    expect(dayIn(lateEvening, 'UTC')).toBe('2026-06-15')
    expect(dayIn(lateEvening, 'Europe/Berlin')).toBe('2026-06-16')
    expect(dayIn(new Date('2026-06-15T03:00:00Z'), 'America/Chicago')).toBe('2026-06-14')
  })
})
