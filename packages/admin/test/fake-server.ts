import { vi } from 'vitest'

export interface Call {
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
}

type Handler = (call: Call) => { status?: number; body?: unknown; headers?: Record<string, string> } | Promise<{ status?: number; body?: unknown; headers?: Record<string, string> }>

/** A fetch that answers from `routes` ("METHOD /path" → handler, the path without its query) and records every call. */
export function fakeFetch(routes: Record<string, Handler>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = []
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), 'http://console.test'), init)
    const url = request.url.replace(/^https?:\/\/[^/]+/, '')
    const method = request.method
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => (headers[key] = value))
    const sent = method === 'GET' || method === 'HEAD' ? '' : await request.text()
    const body: unknown = sent && ((headers['content-type'] ?? '').includes('json') || /^[[{]/.test(sent)) ? (JSON.parse(sent) as unknown) : sent || undefined
    const call = { method, url, headers, body }
    calls.push(call)
    const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0]
    const handler = routes[`${method} ${path}`]
    const answer: Awaited<ReturnType<Handler>> = handler ? await handler(call) : { status: 404, body: { error: { code: 'NOT_FOUND', message: `No route matches ${method} ${path}.`, details: {} } } }
    const status = answer.status ?? 200
    const text = answer.body === undefined ? null : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    return new Response(status === 204 ? null : text, { status, headers: { 'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json', ...answer.headers } })
  })
  return { fetch: fetchImpl, calls }
}

export const adminUser = {
  id: '01900000-0000-7000-8000-000000000001',
  email: 'admin@example.com',
  username: 'admin',
  name: 'Ada Admin',
  avatarUrl: null,
  role: 'admin' as const,
  disabled: false,
  emailVerified: true,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

export function tokenPair(n: number) {
  return { accessToken: `aaa.bbb.c${n}`, refreshToken: `refresh${n}`, tokenType: 'Bearer', expiresIn: 900 }
}

export const validationError = (details: Record<string, string>) => ({
  status: 400,
  body: { error: { code: 'VALIDATION_FAILED', message: `The request is invalid: ${Object.entries(details).map(([k, v]) => `${k} ${v}`).join('; ')}.`, details } },
})
