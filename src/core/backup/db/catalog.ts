import type postgres from 'postgres'
import type { BackupSequence, BackupTable } from '../format.js'
import type { ForeignKeyEdge } from '../table-order.js'

/** What the catalog queries need: transactions and reserved connections both have it. */
export type Queryable = Pick<postgres.Sql, 'unsafe'>

/** Plinth's tables live in `public` (pg-boss keeps its own schema, drizzle its migrations table in `drizzle`). */
const SCHEMA = 'public'

export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`
export const qualified = (name: string): string => `${SCHEMA}.${quoteIdentifier(name)}`

/** Ordinary tables of `public` with the columns COPY can write (generated columns are computed), by name. */
export async function listTables(sql: Queryable): Promise<BackupTable[]> {
  const rows = await sql.unsafe<{ name: string; columns: string[] }[]>(
    `select c.relname::text as name, array_agg(a.attname::text order by a.attnum) as columns
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      where n.nspname = $1 and c.relkind = 'r' and not c.relispartition
      group by c.relname
      order by c.relname`,
    [SCHEMA],
  )
  return rows.map(({ name, columns }) => ({ name, columns }))
}

export async function listForeignKeys(sql: Queryable): Promise<ForeignKeyEdge[]> {
  const rows = await sql.unsafe<{ table: string; references: string }[]>(
    `select c.relname::text as "table", p.relname::text as "references"
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_class p on p.oid = k.confrelid
       join pg_namespace pn on pn.oid = p.relnamespace
      where k.contype = 'f' and n.nspname = $1 and pn.nspname = $1`,
    [SCHEMA],
  )
  return rows.map(({ table, references }) => ({ table, references }))
}

/** Every sequence of `public` with its state (sequences are not transactional: this is their state now). */
export async function listSequences(sql: Queryable): Promise<BackupSequence[]> {
  const names = await sql.unsafe<{ name: string }[]>(
    `select c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'S' order by 1`,
    [SCHEMA],
  )
  const sequences: BackupSequence[] = []
  for (const { name } of names) {
    const [state] = await sql.unsafe<{ lastValue: string; isCalled: boolean }[]>(`select last_value::text as "lastValue", is_called as "isCalled" from ${qualified(name)}`)
    sequences.push({ name, lastValue: state!.lastValue, isCalled: state!.isCalled })
  }
  return sequences
}

/** Sequences of `public` that a column owns (serial and identity columns). */
export async function listOwnedSequences(sql: Queryable): Promise<{ sequence: string; table: string; column: string }[]> {
  return sql.unsafe<{ sequence: string; table: string; column: string }[]>(
    `select s.relname::text as sequence, t.relname::text as "table", a.attname::text as "column"
       from pg_class s
       join pg_namespace n on n.oid = s.relnamespace
       join pg_depend d on d.objid = s.oid and d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
       join pg_class t on t.oid = d.refobjid
       join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
      where s.relkind = 'S' and n.nspname = $1`,
    [SCHEMA],
  )
}

/** The hashes of the applied migrations, oldest first; empty when drizzle's table does not exist yet. */
export async function appliedMigrationHashes(sql: Queryable): Promise<string[]> {
  const [found] = await sql.unsafe<{ exists: boolean }[]>(`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`)
  if (!found?.exists) return []
  const rows = await sql.unsafe<{ hash: string }[]>(`select hash from drizzle.__drizzle_migrations order by created_at, id`)
  return rows.map((row) => row.hash)
}

/** The tables among `names` that hold at least one row. */
export async function tablesWithRows(sql: Queryable, names: readonly string[]): Promise<string[]> {
  const found: string[] = []
  for (const name of names) {
    const [row] = await sql.unsafe<{ any: boolean }[]>(`select exists (select 1 from ${qualified(name)}) as any`)
    if (row?.any) found.push(name)
  }
  return found
}

export async function postgresVersion(sql: Queryable): Promise<string> {
  const [row] = await sql.unsafe<{ version: string }[]>(`select current_setting('server_version') as version`)
  return row!.version
}
