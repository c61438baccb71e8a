import type { FastifyRequest } from 'fastify'

/** The media type a request says its body is (`text/plain`, without parameters), or null when it names none. */
export function sentMediaType(request: FastifyRequest): string | null {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase().slice(0, 100) || null
}
