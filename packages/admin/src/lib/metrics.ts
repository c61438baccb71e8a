/** Prometheus text from GET /metrics, and the request and error rates between two samples of it. */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const found = LINE.exec(line)
    if (!found) continue
    const labels: Record<string, string> = {}
    for (const [, name, value] of (found[2] ?? '').matchAll(LABEL)) labels[name!] = value!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c))
    samples.push({ name: found[1]!, labels, value: Number(found[3]) })
  }
  return samples
}

export function total(samples: readonly Sample[], name: string, filter: (labels: Record<string, string>) => boolean = () => true): number {
  return samples.filter((sample) => sample.name === name && filter(sample.labels)).reduce((sum, sample) => sum + sample.value, 0)
}

export interface Counts {
  at: number
  requests: number
  errors: number
}

/** Requests answered and those answered 5xx, since the process started (the probes and /metrics excluded). */
export function requestCounts(samples: readonly Sample[], at: number): Counts {
  const counted = (labels: Record<string, string>) => !['/metrics', '/health', '/ready'].includes(labels.route ?? '')
  return {
    at,
    requests: total(samples, 'http_requests_total', counted),
    errors: total(samples, 'http_requests_total', (labels) => counted(labels) && (labels.status ?? '').startsWith('5')),
  }
}

/** Requests per second and the share of them that failed (5xx) between two samples; undefined until there are two. */
export function rates(previous: Counts | undefined, current: Counts): { perSecond: number; errorRatio: number } | undefined {
  if (!previous || current.at <= previous.at) return undefined
  const requests = Math.max(0, current.requests - previous.requests)
  const errors = Math.max(0, current.errors - previous.errors)
  return { perSecond: requests / ((current.at - previous.at) / 1000), errorRatio: requests === 0 ? 0 : errors / requests }
}
