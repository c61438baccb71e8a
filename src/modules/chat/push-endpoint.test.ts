import { describe, expect, it } from 'vitest'
import { pushEndpointProblem } from './push-endpoint.js'

const production = { allowLoopbackHttp: false }
const development = { allowLoopbackHttp: true }

describe('pushEndpointProblem', () => {
  it('accepts the push services’ https URLs everywhere', () => {
    for (const endpoint of ['https://fcm.googleapis.com/fcm/send/abc:def', 'https://updates.push.services.mozilla.com/wpush/v2/gAAA', 'https://web.push.apple.com/QGx', 'https://8.8.8.8/push']) {
      expect(pushEndpointProblem(endpoint, production)).toBeUndefined()
    }
  })

  it('refuses other schemes, relative URLs and credentials', () => {
    expect(pushEndpointProblem('http://fcm.googleapis.com/fcm/send/x', production)).toBe('must be an https: URL')
    expect(pushEndpointProblem('http://fcm.googleapis.com/fcm/send/x', development)).toBe('must be an https: URL')
    expect(pushEndpointProblem('ftp://example.com/x', production)).toBe('must be an https: URL')
    expect(pushEndpointProblem('/push/x', production)).toBe('must be an absolute URL')
    expect(pushEndpointProblem('https://user:pw@push.example/x', production)).toBe('must not carry credentials')
  })

  it('refuses local and private addresses in production', () => {
    for (const endpoint of ['https://localhost/x', 'https://127.0.0.1:8443/x', 'https://[::1]/x', 'https://10.1.2.3/x', 'https://172.20.0.1/x', 'https://192.168.1.1/x', 'https://169.254.169.254/latest', 'https://[fd00::1]/x', 'https://[::ffff:10.0.0.1]/x', 'https://0.0.0.0/x']) {
      expect(pushEndpointProblem(endpoint, production), endpoint).toBe('must be a public push service, not a local or private address')
    }
  })

  it('accepts loopback http and https outside production (a local stand-in push service)', () => {
    for (const endpoint of ['http://127.0.0.1:4567/push/1', 'http://localhost:80/x', 'https://[::1]:9/x']) {
      expect(pushEndpointProblem(endpoint, development), endpoint).toBeUndefined()
    }
    expect(pushEndpointProblem('http://10.0.0.1/x', development)).toBe('must be an https: URL')
    expect(pushEndpointProblem('https://10.0.0.1/x', development)).toBe('must be a public push service, not a local or private address')
  })
})
