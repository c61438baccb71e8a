/**
 * The one catalog of error codes. Codes are part of the API contract: add new ones, never rename
 * or reuse. Modules add their own codes with `registerErrorCodes` under their own prefix.
 */
export const coreErrors = {
  BAD_REQUEST: { status: 400, message: 'The request could not be understood.' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, message: 'The request is invalid.' },
  CURRENT_PASSWORD_INCORRECT: { status: 400, message: 'The current password is incorrect.' },
  INVALID_EMAIL_TOKEN: { status: 400, message: 'The link is invalid, expired or already used.' },
  INVALID_CURSOR: { status: 400, message: 'The cursor is invalid or belongs to another query.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  INVALID_TOKEN: { status: 401, message: 'The access token is invalid.' },
  TOKEN_EXPIRED: { status: 401, message: 'The access token has expired; refresh it.' },
  SESSION_REVOKED: { status: 401, message: 'The session has ended; sign in again.' },
  INVALID_CREDENTIALS: { status: 401, message: 'The e-mail, username or password is incorrect.' },
  INVALID_REFRESH_TOKEN: { status: 401, message: 'The refresh token is invalid or expired; sign in again.' },
  REFRESH_TOKEN_REUSED: { status: 401, message: 'The refresh token was already used; the session has been ended for safety.' },
  API_KEY_INVALID: { status: 401, message: 'The API key is invalid.' },
  API_KEY_REVOKED: { status: 401, message: 'The API key has been revoked.' },
  API_KEY_EXPIRED: { status: 401, message: 'The API key has expired.' },
  API_KEY_NOT_ALLOWED: { status: 401, message: 'This route does not take API keys; use a signed-in session.' },
  API_KEY_OWNER_DISABLED: { status: 401, message: 'The account this API key belongs to is disabled.' },
  FORBIDDEN: { status: 403, message: 'You do not have permission to do this.' },
  ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled.' },
  API_KEY_SCOPE_MISSING: { status: 403, message: 'The API key does not have the scope this needs.' },
  API_KEY_SCOPE_NOT_HELD: { status: 403, message: 'An API key cannot have a permission its owner does not have.' },
  REGISTRATION_CLOSED: { status: 403, message: 'Registration is closed; an administrator creates accounts.' },
  SIGNED_LINK_INVALID: { status: 403, message: 'The link is invalid.' },
  SIGNED_LINK_EXPIRED: { status: 403, message: 'The link has expired; ask for a new one.' },
  NOT_FOUND: { status: 404, message: 'The resource was not found.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The method is not allowed on this resource.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  EMAIL_TAKEN: { status: 409, message: 'An account with this e-mail already exists.' },
  USERNAME_TAKEN: { status: 409, message: 'This username is taken.' },
  API_KEY_LIMIT_REACHED: { status: 409, message: 'The account has as many active API keys as allowed; revoke one first.' },
  VERSION_CONFLICT: { status: 409, message: 'The resource was changed by someone else; reload and retry.' },
  NOT_SUBSCRIBED: { status: 409, message: 'Subscribe to the realtime room before sending to it.' },
  PRECONDITION_FAILED: { status: 412, message: 'The resource does not match the If-Match precondition.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  FILE_TOO_LARGE: { status: 413, message: 'The file is larger than the upload limit.' },
  STORAGE_QUOTA_EXCEEDED: { status: 413, message: 'The file does not fit in your storage quota.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported.' },
  FILE_TYPE_NOT_ALLOWED: { status: 415, message: 'The content of the file is not of an allowed type.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is outside the file.' },
  UNPROCESSABLE: { status: 422, message: 'The request cannot be processed.' },
  FILE_INFECTED: { status: 422, message: 'The file contains malware and was not stored.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed sign-in attempts; retry later.' },
  INTERNAL: { status: 500, message: 'An unexpected error occurred.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A dependency is unavailable.' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; retry later.' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; retry shortly.' },
} as const satisfies Record<string, ErrorSpec>

export interface ErrorSpec {
  readonly status: number
  readonly message: string
}

export type CoreErrorCode = keyof typeof coreErrors

const catalog = new Map<string, ErrorSpec>(Object.entries(coreErrors))

/** Lets a module declare its codes (e.g. `CYLINDER_INVALID_TRANSITION`) in the same catalog. */
export function registerErrorCodes(codes: Record<string, ErrorSpec>): void {
  for (const [code, spec] of Object.entries(codes)) {
    const existing = catalog.get(code)
    if (existing && (existing.status !== spec.status || existing.message !== spec.message)) {
      throw new Error(`Error code ${code} is already registered with another meaning`)
    }
    catalog.set(code, spec)
  }
}

export function errorSpec(code: string): ErrorSpec {
  const spec = catalog.get(code)
  if (!spec) throw new Error(`Unknown error code ${code}: add it to the catalog`)
  return spec
}

export function errorCatalog(): ReadonlyMap<string, ErrorSpec> {
  return catalog
}
