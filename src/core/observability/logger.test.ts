import { describe, expect, it } from 'vitest'
import { redactUrl, scrubSecrets } from './logger.js'

describe('scrubSecrets', () => {
  it('redacts secret-looking keys at any depth, in arrays, whatever their case', () => {
    const input = { body: { email: 'a@b.c', Password: 'p1', nested: { refreshToken: 'r1', list: [{ apiKey: 'k1', ok: 1 }] } }, authorization: 'Bearer t' }
    expect(scrubSecrets(input)).toEqual({
      body: { email: 'a@b.c', Password: '[REDACTED]', nested: { refreshToken: '[REDACTED]', list: [{ apiKey: '[REDACTED]', ok: 1 }] } },
      authorization: '[REDACTED]',
    })
  })

  it('does not change the caller’s object', () => {
    const input = { data: { token: 't' } }
    scrubSecrets(input)
    expect(input.data.token).toBe('t')
  })

  it('leaves request lines, whose serializers already drop secrets, untouched and unwalked', () => {
    const line = { req: { headers: { authorization: 'x' } }, res: {}, responseTime: 1 }
    expect(scrubSecrets(line)).toBe(line)
  })
})

describe('redactUrl', () => {
  it('masks secret query parameters and keeps the others', () => {
    expect(redactUrl('/api/realtime?token=abc&room=1&password=p')).toBe('/api/realtime?token=[REDACTED]&room=1&password=[REDACTED]')
  })
})
