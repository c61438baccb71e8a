import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyServerOptions } from 'fastify'

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/

/** Honours a well-formed incoming `X-Request-Id` (from a proxy or a client), else makes one. */
export function requestIdFrom(raw: IncomingMessage): string {
  const incoming = raw.headers['x-request-id']
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

/** Query parameters whose values must never reach a log line. */
const SECRET_QUERY_PARAMS = /([?&](?:token|access_token|refresh_token|password|secret|signature|key|code)=)[^&]*/gi

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMS, '$1[REDACTED]')
}

/** Body and header fields that may carry secrets, wherever they appear in a logged object. */
const SECRET_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'apiKey',
  'authorization',
  'cookie',
]

export const redactPaths = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
]

interface SerializableRequest {
  method: string
  url: string
  ip: string
  headers: Record<string, unknown>
}

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    serializers: {
      req: (req: SerializableRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        ip: req.ip,
        userAgent: req.headers['user-agent'],
      }),
    },
  }
}
