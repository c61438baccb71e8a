import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { closeHttpServer, exitOnShutdown, printReady } from './lifecycle.js'

/** The baseline: what this machine's Node.js does with no framework, logging or database. */
const body = JSON.stringify({ hello: 'world' })
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }

const server = createServer((_request, response) => {
  response.writeHead(200, headers)
  response.end(body)
})

exitOnShutdown(() => closeHttpServer(server))
server.listen(0, '127.0.0.1', () => printReady({ port: (server.address() as AddressInfo).port }))
