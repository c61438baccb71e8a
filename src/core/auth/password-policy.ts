import { dictionary } from '@zxcvbn-ts/language-common'

/** ~49,000 most common passwords, from zxcvbn-ts's bundled dictionary. */
const common = new Set((dictionary['passwords-common']).map((word) => word.toLowerCase()))

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | undefined {
  const length = [...password].length
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`
  const lowered = password.toLowerCase()
  if (common.has(lowered)) return 'is one of the most common passwords; choose another'
  if (context.email && lowered === context.email.toLowerCase()) return 'must not be your e-mail address'
  return undefined
}
