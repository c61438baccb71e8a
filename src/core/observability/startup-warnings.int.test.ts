import { afterAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { closeTestDatabase } from '../../../test/helpers/database.js'
import { captureLogs } from '../../../test/helpers/logs.js'

afterAll(() => closeTestDatabase())

describe('start-up warnings in the log', () => {
  it('warns when NODE_ENV is unset (development by default) on an address others can reach', async () => {
    const logs = captureLogs()
    const app = await buildTestApp({ env: { NODE_ENV: undefined, HOST: '0.0.0.0', LOG_LEVEL: 'warn' }, logStream: logs.stream })
    try {
      const line = await logs.waitForLine((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('NODE_ENV is not set'))
      expect(line).toMatchObject({ level: 40, msg: expect.stringContaining('set NODE_ENV=production') })
    } finally {
      await app.close()
    }
  })

  it('says nothing when NODE_ENV is set', async () => {
    const logs = captureLogs()
    const app = await buildTestApp({ env: { HOST: '0.0.0.0', LOG_LEVEL: 'warn' }, logStream: logs.stream })
    await app.close()
    expect(logs.lines.join('')).not.toContain('NODE_ENV is not set')
  })
})
