import { request } from 'node:http'

/**
 * POSTs JSON to a bench server's control route and resolves its JSON answer; rejects on any status
 * but 2xx. node:http rather than fetch: a run lasts as long as BENCH_DURATION, past fetch's default timeouts.
 */
export function postJson(url: URL, body: unknown, headers: Readonly<Record<string, string>> = {}): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (response) => {
      let received = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (received += chunk))
      response.on('error', reject)
      response.on('end', () => {
        if (!response.statusCode || response.statusCode < 200 || response.statusCode >= 300) return reject(new Error(`POST ${url.pathname} answered ${response.statusCode}: ${received.slice(0, 500)}`))
        try {
          resolve(JSON.parse(received) as Record<string, unknown>)
        } catch {
          reject(new Error(`POST ${url.pathname} answered invalid JSON: ${received.slice(0, 500)}`))
        }
      })
    })
    outgoing.on('error', reject)
    outgoing.end(text)
  })
}
