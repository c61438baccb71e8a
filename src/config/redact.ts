/**
 * How a variable's value may appear in a configuration error. Secrets never do (the operator knows
 * which value they set; a terminal, a CI log or a crash report need not), and a URL's credentials
 * (`user:password@`) and secret query parameters are masked.
 */
const SECRET_NAME = /SECRET|PASSWORD|PASSPHRASE|TOKEN|(^|_)KEY(_|$)|PRIVATE|CREDENTIAL/

/** Query parameters of a URL whose values are credentials (`?password=…`, `?sslkey=…`). */
const SECRET_QUERY = /([?&](?:password|pass|secret|token|key|sslkey|sslpassword|auth|access_token)=)[^&#]*/gi

export function isSecretVariable(name: string): boolean {
  return SECRET_NAME.test(name)
}

/** `NAME="value"`, `NAME=[hidden]` for a secret, or the value with its URL credentials masked. */
export function shownValue(name: string, value: unknown): string {
  if (isSecretVariable(name)) return `${name}=[hidden]`
  return `${name}=${JSON.stringify(typeof value === 'string' ? maskCredentials(value) : value)}`
}

/**
 * Everything before the last `@` after the scheme (a malformed URL may hold `/` or `?` in its
 * password, so the mask does not stop at them), and secret query parameters.
 */
export function maskCredentials(value: string): string {
  return value.replace(/^([a-z][\w+.-]*:\/\/)?(.*)@/is, (_all, scheme: string | undefined) => `${scheme ?? ''}[hidden]@`).replace(SECRET_QUERY, '$1[hidden]')
}
