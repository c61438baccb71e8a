import { createHash, randomBytes } from 'node:crypto'

/** An opaque 256-bit token for clients (refresh tokens, e-mail links). */
export const randomToken = (): string => randomBytes(32).toString('base64url')

/** What is stored instead of a token: its SHA-256 (tokens are random, so no salt or slow hash is needed). */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url')
