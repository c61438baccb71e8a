import { hash, verify, type Algorithm } from '@node-rs/argon2'

/** The package's `Algorithm` is a const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm.Argon2id

export interface HashParameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** OWASP's argon2id recommendation: 19 MiB, two passes, one lane. */
export const OWASP_PARAMETERS: HashParameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }
/** Only under NODE_ENV=test: the suite hashes hundreds of passwords. */
export const TEST_PARAMETERS: HashParameters = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

/**
 * argon2id hashing. @node-rs/argon2 hashes on libuv's thread pool, so the event loop stays free
 * while logins are verified.
 */
export class PasswordHasher {
  /** A hash of nothing in particular, verified when an account does not exist, so both take as long. */
  private readonly decoy: Promise<string>

  constructor(private readonly parameters: HashParameters) {
    this.decoy = this.hash('decoy password that matches nothing')
  }

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, ...this.parameters })
  }

  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    try {
      const ok = await verify(stored ?? (await this.decoy), password)
      return ok && Boolean(stored)
    } catch {
      return false
    }
  }

  /** True when the stored hash was made with other parameters (or another algorithm). */
  needsRehash(stored: string): boolean {
    const { memoryCost, timeCost, parallelism } = this.parameters
    return !stored.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`)
  }
}
