import { isIP } from 'node:net'

/**
 * Whether a push endpoint may be stored. The server POSTs to it, so it is a request forgery risk:
 * push services are public HTTPS hosts, so only `https:` URLs whose host is a name or a public IP
 * literal are accepted. `allowLoopbackHttp` (every environment but production) also accepts
 * `http:`/`https:` on localhost, 127.0.0.0/8 and [::1], so a local push service can stand in for a
 * real one in development and tests. Names that resolve to private addresses are not caught here.
 * Returns the problem, or undefined when the endpoint is fine.
 */
export function pushEndpointProblem(endpoint: string, options: { allowLoopbackHttp: boolean }): string | undefined {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return 'must be an absolute URL'
  }
  if (url.username || url.password) return 'must not carry credentials'
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (options.allowLoopbackHttp && isLoopback(host) && (url.protocol === 'http:' || url.protocol === 'https:')) return undefined
  if (url.protocol !== 'https:') return 'must be an https: URL'
  if (isLoopback(host) || isPrivateAddress(host)) return 'must be a public push service, not a local or private address'
  return undefined
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

/** IP literals of private, link-local and unspecified ranges (v4 and v6). */
function isPrivateAddress(host: string): boolean {
  const version = isIP(host)
  if (version === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number]
    return a === 0 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)
  }
  if (version === 6) return host === '::' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith('::ffff:')
  return false
}
