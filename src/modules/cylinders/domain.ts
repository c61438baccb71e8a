/**
 * The cylinder state machine (seed 004 plus quarantine and loss). Pure: the service applies it to
 * rows it has locked; tests read it as the table of what may move where.
 */
export const CYLINDER_STATUSES = ['available', 'sent', 'returned', 'in_refill', 'quarantined', 'lost', 'trashed'] as const
export type CylinderStatus = (typeof CYLINDER_STATUSES)[number]

export const LOCATION_KINDS = ['customer', 'refill_station'] as const
export type LocationKind = (typeof LOCATION_KINDS)[number]

/** The batch moves workers scan. */
export const MOVE_TYPES = ['ship', 'return', 'refill_send', 'refill_receive'] as const
export type MoveType = (typeof MOVE_TYPES)[number]

export const EVENT_TYPES = [
  'added',
  'imported',
  'edited',
  'shipped',
  'returned',
  'found',
  'refill_sent',
  'refill_received',
  'quarantined',
  'released',
  'lost',
  'trashed',
  'reprinted',
] as const
export type CylinderEventType = (typeof EVENT_TYPES)[number]

export interface Move {
  readonly type: MoveType
  /** Statuses a cylinder may be in to take this move. */
  readonly from: readonly CylinderStatus[]
  readonly to: CylinderStatus
  readonly event: CylinderEventType
  /** Where the destination must be, when the batch names a location. */
  readonly destination: LocationKind | 'depot'
  /** A cylinder past its next test date may not take this move (CYLINDER_TEST_OVERDUE). */
  readonly needsValidTest: boolean
}

export const MOVES: Readonly<Record<MoveType, Move>> = {
  ship: { type: 'ship', from: ['available'], to: 'sent', event: 'shipped', destination: 'customer', needsValidTest: false },
  // A lost cylinder that comes back is found: the return reconciles it.
  return: { type: 'return', from: ['sent', 'lost'], to: 'returned', event: 'returned', destination: 'depot', needsValidTest: false },
  refill_send: { type: 'refill_send', from: ['returned'], to: 'in_refill', event: 'refill_sent', destination: 'refill_station', needsValidTest: true },
  refill_receive: { type: 'refill_receive', from: ['in_refill'], to: 'available', event: 'refill_received', destination: 'depot', needsValidTest: true },
}

/** Admin (and safety) actions on a set of cylinders: history events, not shipments. */
export const ACTION_TYPES = ['quarantine', 'release', 'lose', 'trash'] as const
export type ActionType = (typeof ACTION_TYPES)[number]

export interface Action {
  readonly type: ActionType
  readonly from: readonly CylinderStatus[]
  readonly to: CylinderStatus
  readonly event: CylinderEventType
  /** Whether the request must say why. */
  readonly needsReason: boolean
}

const NON_TERMINAL: readonly CylinderStatus[] = ['available', 'sent', 'returned', 'in_refill', 'quarantined', 'lost']

export const ACTIONS: Readonly<Record<ActionType, Action>> = {
  quarantine: { type: 'quarantine', from: NON_TERMINAL.filter((s) => s !== 'quarantined'), to: 'quarantined', event: 'quarantined', needsReason: true },
  // Back into the cycle after a passed test (the request carries the new test dates): empty, so returned.
  release: { type: 'release', from: ['quarantined'], to: 'returned', event: 'released', needsReason: false },
  lose: { type: 'lose', from: ['sent'], to: 'lost', event: 'lost', needsReason: false },
  trash: { type: 'trash', from: NON_TERMINAL, to: 'trashed', event: 'trashed', needsReason: true },
}

/** Statuses nothing leaves. */
export const TERMINAL: readonly CylinderStatus[] = ['trashed']

export const isTerminal = (status: CylinderStatus): boolean => TERMINAL.includes(status)

/** Why one cylinder of a batch cannot move. */
export type RefusalReason = 'UNKNOWN_CODE' | 'RETIRED_CODE' | 'INVALID_STATUS' | 'TEST_OVERDUE'

export interface Refusal {
  /** The code or id as the client sent it. */
  readonly ref: string
  readonly cylinderId: string | null
  readonly serialNumber: string | null
  readonly status: CylinderStatus | null
  readonly reason: RefusalReason
  readonly message: string
}

/** `YYYY-MM-DD` of a date in UTC. */
export const isoDay = (date: Date): string => date.toISOString().slice(0, 10)

/** `YYYY-MM-DD` of the calendar day it is at `date` in `timeZone` (test dates are the depot's days). */
export const dayIn = (date: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date)

/** Past its next test date: due today is still valid, due yesterday is overdue. */
export const isTestOverdue = (nextTestDue: string | null, today: string): boolean => nextTestDue !== null && nextTestDue < today

/** Why `status` cannot take `move`, or undefined when it can. */
export function refuseMove(move: Move | Action, cylinder: { status: CylinderStatus; nextTestDue: string | null }, today: string): { reason: RefusalReason; message: string } | undefined {
  if (!move.from.includes(cylinder.status)) {
    const hint = cylinder.status === 'lost' ? ' A lost cylinder that turns up is returned first (POST /api/cylinders/return), which marks it found.' : ''
    return { reason: 'INVALID_STATUS', message: `A cylinder that is ${cylinder.status} cannot be moved by ${move.type} (needs ${move.from.join(' or ')}).${hint}` }
  }
  if ('needsValidTest' in move && move.needsValidTest && isTestOverdue(cylinder.nextTestDue, today)) {
    return { reason: 'TEST_OVERDUE', message: `The cylinder's test was due on ${cylinder.nextTestDue}; it must be requalified first.` }
  }
  return undefined
}
