import type { FastifyRequest } from 'fastify'

/** Where a request came from, for sessions and the audit log. */
export interface RequestMeta {
  ip: string
  userAgent: string | null
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent']
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null }
}
