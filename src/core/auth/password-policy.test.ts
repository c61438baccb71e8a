import { describe, expect, it } from 'vitest'
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblem } from './password-policy.js'

describe('passwordProblem', () => {
  it('accepts a long, uncommon passphrase', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined()
  })

  it('refuses fewer than 8 characters, accepts exactly 8', () => {
    expect(PASSWORD_MIN).toBe(8)
    expect(passwordProblem('Xq7#vL2')).toBe('must be at least 8 characters')
    expect(passwordProblem('Xq7#vL2m')).toBeUndefined()
  })

  it('refuses more than 128 characters, accepts exactly 128', () => {
    expect(PASSWORD_MAX).toBe(128)
    expect(passwordProblem('x'.repeat(128))).toBeUndefined()
    expect(passwordProblem('x'.repeat(129))).toBe('must be at most 128 characters')
  })

  it('counts characters, not UTF-16 units: 8 emoji are 8 characters', () => {
    expect(passwordProblem('🔑'.repeat(4))).toBe('must be at least 8 characters')
    expect(passwordProblem('🔑🌍🎲🚲🌵🐙🎈🧩')).toBeUndefined()
    expect(passwordProblem('🔑'.repeat(128))).toBeUndefined()
  })

  it.each(['password1', 'PASSWORD1', '12345678', 'iloveyou', 'qwertyuiop'])('refuses the common password %s, in any case', (password) => {
    expect(passwordProblem(password)).toBe('is one of the most common passwords; choose another')
  })

  it('refuses the e-mail address, in any case', () => {
    expect(passwordProblem('Ada@Example.test', { email: 'ada@example.test' })).toBe('must not be your e-mail address')
    expect(passwordProblem('ada@example.test')).toBeUndefined()
  })
})
