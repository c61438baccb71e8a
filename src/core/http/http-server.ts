import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { errorBody } from '../errors/error-handler.js'

/**
 * The HTTP server with Plinth's timeouts. Node checks request deadlines only every
 * `connectionsCheckingInterval` (30 s by default), so the interval follows the timeout.
 */
export function httpServerFactory(requestTimeoutMs: number) {
  return (handler: RequestListener): Server =>
    createServer(
      {
        requestTimeout: requestTimeoutMs,
        headersTimeout: Math.min(requestTimeoutMs, 60_000),
        connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeoutMs / 4))),
        keepAliveTimeout: 72_000,
      },
      handler,
    )
}

/**
 * Errors Node raises before a request reaches Fastify (timeouts, oversized headers, broken
 * HTTP) still answer in the one error shape.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'REQUEST_TIMEOUT'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'HEADERS_TOO_LARGE'] : [400, 'BAD_REQUEST']
  const body = JSON.stringify(errorBody(code))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
