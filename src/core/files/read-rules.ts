import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../access/actor.js'
import type { FileView } from './file.view.js'

/** A module's say on who else may read a file (its metadata, content, thumbnail, signed links). */
export type ReadRule = (actor: Actor, file: FileView) => Promise<boolean>

/**
 * The rules modules register with `ctx.files.allowReads`, consulted only after the owner and
 * files:manage checks refused, so owners' reads never pay for them.
 */
export class ReadRules {
  private readonly rules: { name: string; rule: ReadRule }[] = []

  constructor(private readonly log: FastifyBaseLogger) {}

  add(name: string, rule: ReadRule): void {
    if (typeof rule !== 'function') throw new TypeError(`allowReads("${name}") needs a rule function`)
    this.rules.push({ name, rule })
  }

  /**
   * One after another, stopping at the first yes: a chat's rule costs a query, and most files
   * belong to one module. A rule that throws refuses (logged): a broken rule must not open a file.
   */
  async allow(actor: Actor, file: FileView): Promise<boolean> {
    for (const { name, rule } of this.rules) {
      try {
        if ((await rule(actor, file)) === true) return true
      } catch (err) {
        this.log.error({ err, rule: name, fileId: file.id, actorId: actor.id }, 'a files read rule failed; counted as a refusal')
      }
    }
    return false
  }
}
