import { health } from './health.js'
import { noteById } from './note-by-id.js'
import { rawHello } from './raw-hello.js'
import type { Scenario } from './scenario.js'

/** Run in this order, one after another. Scenarios on the same server run back to back. */
export const scenarios: readonly Scenario[] = [rawHello, health, noteById]
