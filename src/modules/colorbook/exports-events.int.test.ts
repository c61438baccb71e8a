import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addChild, call, createProject, share } from '../../../test/helpers/colorbook.js'
import { fillQuota } from '../../../test/helpers/colorbook-exports.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'

const app = useTestApp({ env: { JOBS_POLL_INTERVAL_MS: '500' }, setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

async function listen(user: TestUser, room: string): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })
  return socket
}

const finished = (socket: TestSocket, exportId: string) =>
  socket.next((m) => m.type === 'event' && m.event === 'export.finished' && (m.data as { id?: string }).id === exportId, 20_000)

async function requestExport(user: TestUser, projectId: string, format: 'pdf' | 'json'): Promise<string> {
  const queued = await call(app(), user, 'POST', `/api/projects/${projectId}/export`, { format })
  expect(queued.statusCode, queued.body).toBe(202)
  return queued.json<{ id: string }>().id
}

describe('export.finished', () => {
  it('tells the requester in their user room when the export is done, with the export as GET shows it', async () => {
    const [ada, vic] = await Promise.all([loginAs(app()), loginAs(app())])
    const project = await createProject(app(), ada)
    await share(app(), project.id, vic, 'viewer')
    await addChild(app(), ada, project.id, 'stories', { text: 'Once' })
    const own = await listen(vic, `user:${vic.id}`)
    const exportId = await requestExport(vic, project.id, 'json')

    const event = await finished(own, exportId)
    expect(event).toMatchObject({ room: `user:${vic.id}`, seq: expect.any(Number) })
    expect(event.data).toEqual({
      id: exportId,
      projectId: project.id,
      format: 'json',
      status: 'done',
      error: null,
      createdAt: expect.any(String),
      finishedAt: expect.any(String),
      file: { id: expect.any(String), url: expect.stringContaining('http'), expiresAt: expect.any(String) },
    })
    const view = (await call(app(), vic, 'GET', `/api/projects/${project.id}/exports/${exportId}`)).json<{ status: string; file: { id: string } }>()
    expect(view).toMatchObject({ status: 'done', file: { id: (event.data as { file: { id: string } }).file.id } })
    // The link in the event downloads the result.
    const url = new URL((event.data as { file: { url: string } }).file.url)
    expect((await app().inject({ url: `${url.pathname}${url.search}` })).statusCode).toBe(200)
    // One event for the one export.
    expect(own.messages.filter((m) => m.event === 'export.finished')).toEqual([])
  })

  it('tells the requester when the export fails for good, with the reason', async () => {
    const ada = await loginAs(app())
    const project = await createProject(app(), ada)
    await addChild(app(), ada, project.id, 'stories', { text: 'Once' })
    // A file first, so the account has a usage row for the quota to cap.
    expect((await uploadFile(app(), ada, { content: await image('png', 4, 4), filename: 'a.png' })).statusCode).toBe(201)
    await fillQuota(app(), ada.id)
    const own = await listen(ada, `user:${ada.id}`)
    const exportId = await requestExport(ada, project.id, 'pdf')

    const event = await finished(own, exportId)
    expect(event.data).toMatchObject({ id: exportId, projectId: project.id, format: 'pdf', status: 'failed', file: null, error: expect.stringMatching(/^STORAGE_QUOTA_EXCEEDED: /) })
  })
})
