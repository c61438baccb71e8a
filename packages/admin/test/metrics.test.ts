import { describe, expect, it } from 'vitest'
import { parseMetrics, rates, requestCounts } from '../src/lib/metrics.ts'

const at = (requests: [string, string, number][]) =>
  [
    '# HELP http_requests_total HTTP requests answered',
    '# TYPE http_requests_total counter',
    ...requests.map(([route, status, value]) => `http_requests_total{method="GET",route="${route}",status="${status}"} ${value}`),
    'plinth_job_dead_letters_total{job_name="cylinders.rollup"} 2',
  ].join('\n')

describe('metrics', () => {
  it('parses samples with their labels', () => {
    const samples = parseMetrics(at([['/api/users', '200', 7]]))
    expect(samples).toContainEqual({ name: 'http_requests_total', labels: { method: 'GET', route: '/api/users', status: '200' }, value: 7 })
    expect(samples).toContainEqual({ name: 'plinth_job_dead_letters_total', labels: { job_name: 'cylinders.rollup' }, value: 2 })
  })

  it('gives requests per second and the 5xx share between two samples, probes and /metrics left out', () => {
    const first = requestCounts(parseMetrics(at([['/api/users', '200', 10], ['/api/users', '503', 0], ['/metrics', '200', 50]])), 0)
    const second = requestCounts(parseMetrics(at([['/api/users', '200', 28], ['/api/users', '503', 2], ['/metrics', '200', 90]])), 5000)
    expect(first).toEqual({ at: 0, requests: 10, errors: 0 })
    expect(rates(undefined, first)).toBeUndefined()
    expect(rates(first, second)).toEqual({ perSecond: 4, errorRatio: 0.1 })
  })
})
