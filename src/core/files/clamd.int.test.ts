import { createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { closeTestDatabase } from '../../../test/helpers/database.js'
import { EICAR, filesUnder, uploadFile } from '../../../test/helpers/files.js'
import { ClamdScanner } from './clamd.js'

/** What the fake clamd received in each INSTREAM session, reassembled from its chunks. */
const received: Buffer[] = []

/**
 * A tiny clamd: parses `zINSTREAM\0` and length-prefixed chunks up to the zero-length one, then
 * answers like clamd does (EICAR → FOUND) and closes. `mode: 'hang-up'` closes without answering.
 */
function fakeClamd(mode: 'answer' | 'hang-up' = 'answer'): Server {
  return createServer((socket) => {
    let pending = Buffer.alloc(0)
    const chunks: Buffer[] = []
    let commandSeen = false
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data])
      if (!commandSeen) {
        const end = pending.indexOf(0)
        if (end < 0) return
        expect(pending.subarray(0, end).toString()).toBe('zINSTREAM')
        pending = pending.subarray(end + 1)
        commandSeen = true
      }
      while (pending.length >= 4) {
        const length = pending.readUInt32BE(0)
        if (pending.length < 4 + length) return
        if (length === 0) {
          const content = Buffer.concat(chunks)
          received.push(content)
          if (mode === 'hang-up') return void socket.destroy()
          const found = content.includes('EICAR-STANDARD-ANTIVIRUS-TEST-FILE')
          socket.end(found ? 'stream: Eicar-Signature FOUND\0' : 'stream: OK\0')
          return
        }
        chunks.push(Buffer.from(pending.subarray(4, 4 + length)))
        pending = pending.subarray(4 + length)
      }
    })
    socket.on('error', () => {})
  })
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const servers: Server[] = []
let clamdPort: number
let app: FastifyInstance
let appWithDeadScanner: FastifyInstance

beforeAll(async () => {
  servers.push(fakeClamd(), fakeClamd('hang-up'))
  clamdPort = await listen(servers[0]!)
  const hangUpPort = await listen(servers[1]!)
  app = await buildTestApp({ env: { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: String(clamdPort) } })
  appWithDeadScanner = await buildTestApp({ env: { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: String(hangUpPort) } })
})

afterAll(async () => {
  await app?.close()
  await appWithDeadScanner?.close()
  await closeTestDatabase()
  for (const server of servers) server.close()
})

describe('ClamdScanner', () => {
  it('streams the bytes in INSTREAM chunks and reads a clean verdict', async () => {
    const session = new ClamdScanner({ host: '127.0.0.1', port: clamdPort }).start()
    const big = Buffer.alloc(200_000, 'z')
    await session.write(Buffer.from('first '))
    await session.write(big)
    expect(await session.finish()).toEqual({ infected: false })
    expect(received.at(-1)!.equals(Buffer.concat([Buffer.from('first '), big]))).toBe(true)
  })

  it('reports the signature clamd found', async () => {
    const session = new ClamdScanner({ host: '127.0.0.1', port: clamdPort }).start()
    await session.write(Buffer.from(EICAR))
    expect(await session.finish()).toEqual({ infected: true, signature: 'Eicar-Signature' })
  })

  it('fails when clamd is unreachable or hangs up without a verdict', async () => {
    const closed = createServer()
    const port = await listen(closed)
    closed.close()
    const unreachable = new ClamdScanner({ host: '127.0.0.1', port }).start()
    await expect(unreachable.write(Buffer.from('x')).then(() => unreachable.finish())).rejects.toThrow()
  })
})

describe('uploads with CLAMAV_HOST set', () => {
  it('stores a clean file', async () => {
    const user = await loginAs(app)
    const response = await uploadFile(app, user, { content: 'perfectly harmless\n', filename: 'ok.txt' })
    expect(response.statusCode, response.body).toBe(201)
    expect(received.at(-1)!.toString()).toBe('perfectly harmless\n')
  })

  it('refuses an infected file with 422 FILE_INFECTED and stores nothing', async () => {
    const user = await loginAs(app)
    const root = join(app.platform.config.dataDir, 'files')
    const before = filesUnder(root)
    const response = await uploadFile(app, user, { content: EICAR, filename: 'eicar.txt' })
    expect(response.statusCode, response.body).toBe(422)
    expect(response.json().error).toMatchObject({ code: 'FILE_INFECTED', details: { signature: 'Eicar-Signature' } })
    expect(filesUnder(root)).toEqual(before)
    expect((await app.inject({ url: '/api/files/usage', headers: user.headers })).json()).toMatchObject({ bytesUsed: 0, files: 0 })
  })

  it('refuses uploads with 503 while the scanner gives no verdict, storing nothing', async () => {
    const user = await loginAs(appWithDeadScanner)
    const root = join(appWithDeadScanner.platform.config.dataDir, 'files')
    const response = await uploadFile(appWithDeadScanner, user, { content: 'unscanned\n', filename: 'a.txt' })
    expect(response.statusCode, response.body).toBe(503)
    expect(response.json().error.code).toBe('SERVICE_UNAVAILABLE')
    expect(filesUnder(root)).toEqual([])
  })
})
