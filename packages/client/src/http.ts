import type { Auth } from './auth.js'
import { PlinthError } from './errors.js'

/** openapi-fetch's transport: one Request in, its Response out. */
export type Fetch = (request: Request) => Promise<Response>

/**
 * `fetch` whose failures to get any answer reject with a PlinthError NETWORK_ERROR (an abort stays
 * the caller's AbortError). `base`: a fetch of your own (default globalThis.fetch, looked up per call).
 */
export function networkFetch(base?: Fetch): Fetch {
  return async (request) => {
    try {
      return await (base ?? ((r: Request) => globalThis.fetch(r)))(request)
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'AbortError') throw error
      throw PlinthError.network(error)
    }
  }
}

/** 401 codes a fresh access token cures. */
const STALE_TOKEN = new Set(['TOKEN_EXPIRED', 'INVALID_TOKEN'])

/**
 * Adds the session's access token to every request that has no Authorization header of its own,
 * refreshing it first when it is due. A request refused with 401 TOKEN_EXPIRED or INVALID_TOKEN (the
 * token expired in flight, the device clock is behind, the server's key changed) is sent once more
 * after a refresh; the caller sees only the second answer. A 401 SESSION_REVOKED ends the session here.
 */
export function authenticatedFetch(auth: Auth, send: Fetch): Fetch {
  return async (request) => {
    if (request.headers.has('authorization')) return send(request)
    const token = await auth.accessToken()
    if (!token) return send(request)
    request.headers.set('authorization', `Bearer ${token}`)
    const again = request.clone()
    const first = await send(request)
    if (first.status !== 401) return first
    const refusal = await PlinthError.fromResponse(first.clone())
    if (refusal.code === 'SESSION_REVOKED') await auth.ended(refusal)
    if (!STALE_TOKEN.has(refusal.code)) return first
    let fresh
    try {
      fresh = await auth.refresh(token)
    } catch (error) {
      // The server refused the refresh: the session is over, and the 401 says so. No answer: say that.
      if (error instanceof PlinthError && error.code !== 'NETWORK_ERROR') return first
      throw error
    }
    if (!fresh) return first
    again.headers.set('authorization', `Bearer ${fresh.accessToken}`)
    return send(again)
  }
}

/**
 * The data of an openapi-fetch call, or its failure as a PlinthError:
 * `const user = await unwrap(plinth.api.GET('/api/auth/me'))`.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (response.ok) return data as T
  // openapi-fetch has read the body: `error` is what it held (null: nothing).
  throw await PlinthError.fromResponse(response, error ?? null)
}
