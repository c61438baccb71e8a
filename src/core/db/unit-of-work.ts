import type { Db } from './client.js'

/**
 * Repositories bound to the database, plus a way to run several of them in one transaction.
 * Inside `transaction`, use only the repositories it passes: the outer handle runs outside it.
 */
export interface UnitOfWork<R> {
  readonly repos: R
  transaction<T>(work: (repos: R) => Promise<T>): Promise<T>
}

export function unitOfWork<R>(db: Db, make: (db: Db) => R): UnitOfWork<R> {
  return {
    repos: make(db),
    transaction: (work) => db.transaction((tx) => work(make(tx as unknown as Db))),
  }
}
