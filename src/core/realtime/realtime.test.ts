import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { EventLog, RoomEvent } from './event-log.js'
import { Realtime } from './realtime.js'

/** An event log whose appends the test settles one by one, recording the order they were asked for. */
function heldLog() {
  const pending: { room: string; event: string; settle: (fail?: boolean) => void }[] = []
  const log: EventLog = {
    append: (room, event, data) =>
      new Promise<RoomEvent>((resolve, reject) => {
        const seq = pending.filter((p) => p.room === room).length + 1
        pending.push({ room, event, settle: (fail) => (fail ? reject(new Error('Command timed out')) : resolve({ room, event, data, seq } as RoomEvent)) })
      }),
    head: async () => 0,
    replay: async () => ({ events: [] }) as never,
  }
  return { log, pending }
}

const errors: string[] = []
const logger = { error: (_: object, message: string) => void errors.push(message) } as unknown as FastifyBaseLogger
const flush = () => new Promise((resolve) => setImmediate(resolve))

describe('Realtime.publish', () => {
  it('runs one room’s publishes one after another in call order, rooms independently; a failure is logged, never thrown', async () => {
    const { log, pending } = heldLog()
    const realtime = new Realtime(log, logger)
    const delivered: string[] = []
    realtime.listen('a', (_message, event) => delivered.push('revoke' in event ? 'revoke' : event.event))
    const first = realtime.publish('a', 'one', {})
    const second = realtime.publish('a', 'two', {})
    const other = realtime.publish('b', 'elsewhere', {})
    await flush()
    // The second publish of room a waits for the first; room b does not.
    expect(pending.map((p) => p.event)).toEqual(['one', 'elsewhere'])
    pending[0]!.settle(true)
    expect(await first).toBeUndefined()
    expect(errors).toEqual(['realtime event not published'])
    await flush()
    expect(pending.map((p) => p.event)).toEqual(['one', 'elsewhere', 'two'])
    pending[2]!.settle()
    pending[1]!.settle()
    expect(await second).toMatchObject({ event: 'two' })
    expect(await other).toMatchObject({ event: 'elsewhere' })
    expect(delivered).toEqual(['two'])
    await realtime.stop()
  })
})
