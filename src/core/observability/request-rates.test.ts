import { describe, expect, it } from 'vitest'
import { RequestRates } from './request-rates.js'

function clock(start: number): { now: () => number; advance: (ms: number) => void } {
  let time = start
  return { now: () => time, advance: (ms) => void (time += ms) }
}

describe('RequestRates', () => {
  it('counts requests, 4xx and 5xx over the trailing minute and since start', () => {
    const time = clock(1_700_000_000_000)
    const rates = new RequestRates(time.now)
    for (const status of [200, 201, 404, 503]) rates.record(status)
    time.advance(30_000)
    for (const status of [200, 500]) rates.record(status)

    expect(rates.snapshot()).toEqual({
      window: { seconds: 30, requests: 6, clientErrors: 1, serverErrors: 2 },
      sinceStart: { requests: 6, clientErrors: 1, serverErrors: 2 },
    })
  })

  it('forgets what is older than a minute, including buckets reused by a later second', () => {
    const time = clock(1_700_000_000_500)
    const rates = new RequestRates(time.now)
    rates.record(500)
    rates.record(200)
    time.advance(60_000)
    // The same slot of the ring, a minute later: it starts over.
    rates.record(200)
    expect(rates.snapshot()).toEqual({ window: { seconds: 60, requests: 1, clientErrors: 0, serverErrors: 0 }, sinceStart: { requests: 3, clientErrors: 0, serverErrors: 1 } })
    time.advance(61_000)
    expect(rates.snapshot().window).toEqual({ seconds: 60, requests: 0, clientErrors: 0, serverErrors: 0 })
  })

  it('has a window of at least one second just after start', () => {
    const time = clock(1_700_000_000_000)
    const rates = new RequestRates(time.now)
    rates.record(200)
    expect(rates.snapshot().window).toEqual({ seconds: 1, requests: 1, clientErrors: 0, serverErrors: 0 })
  })
})
