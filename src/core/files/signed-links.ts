import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

export const DEFAULT_LINK_SECONDS = 3600
export const MAX_LINK_SECONDS = 7 * 24 * 3600

export interface SignedLink {
  /** Unix time in seconds after which the link is refused. */
  readonly expires: number
  readonly signature: string
}

export type LinkCheck = 'valid' | 'expired' | 'invalid'

/**
 * Expiring links to a file's content: HMAC-SHA256 over the file id and the expiry, with a key
 * derived from JWT_SECRET (HKDF, its own label), so no extra secret to manage. Rotating
 * JWT_SECRET invalidates every link, as it does every access token. A link names no user:
 * whoever holds it may read the file until it expires, or until the file is deleted.
 */
export class SignedLinks {
  private readonly key: Buffer

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'plinth', 'plinth:files:signed-links:v1', 32))
  }

  sign(fileId: string, expiresInSeconds: number): SignedLink {
    const expires = Math.floor(this.now() / 1000) + expiresInSeconds
    return { expires, signature: this.mac(fileId, expires) }
  }

  /** The signature is checked first, so a forged link learns nothing about expiry. */
  check(fileId: string, expires: number, signature: string): LinkCheck {
    const expected = Buffer.from(this.mac(fileId, expires))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
    return this.now() / 1000 < expires ? 'valid' : 'expired'
  }

  private mac(fileId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${fileId.toLowerCase()}\n${expires}`).digest('base64url')
  }
}
