/** A foreign key: rows of `table` reference rows of `references`. */
export interface ForeignKeyEdge {
  readonly table: string
  readonly references: string
}

/**
 * Tables in an order that loads every referenced table before the tables that reference it, so rows
 * can be loaded with their foreign keys checked as usual (no superuser needed to switch checks off).
 * Ties go by name, for the same order on every run. A table referencing itself needs nothing: its
 * checks run at the end of its COPY. Tables in a cycle follow the rest by name; their rows load only
 * when those constraints are deferrable (restore defers what it can).
 */
export function dependencyOrder(tables: readonly string[], edges: readonly ForeignKeyEdge[]): string[] {
  const known = new Set(tables)
  const parents = new Map(tables.map((table) => [table, new Set<string>()]))
  for (const { table, references } of edges) {
    if (table !== references && known.has(table) && known.has(references)) parents.get(table)!.add(references)
  }
  const ordered: string[] = []
  const placed = new Set<string>()
  const remaining = [...tables].sort()
  for (;;) {
    const ready = remaining.find((table) => [...parents.get(table)!].every((parent) => placed.has(parent)))
    if (ready === undefined) break
    ordered.push(ready)
    placed.add(ready)
    remaining.splice(remaining.indexOf(ready), 1)
  }
  return [...ordered, ...remaining]
}
