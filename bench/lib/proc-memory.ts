import { readdirSync, readFileSync } from 'node:fs'

/** Resident memory of a set of processes, from Linux's /proc, in bytes. */
export interface ProcessMemory {
  readonly processes: number
  /** Proportional set size: shared pages divided among the processes mapping them, so a sum over processes counts each page once. */
  readonly pssBytes: number
  /** Resident set size: shared pages count in full in every process (a sum over processes overstates). */
  readonly rssBytes: number
}

export const NO_PROCESSES: ProcessMemory = { processes: 0, pssBytes: 0, rssBytes: 0 }

/** `pid` and all its descendants (children, their children, …), from every process's parent in /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const [child, parent] of parents()) children.set(parent, [...(children.get(parent) ?? []), child])
  const tree: number[] = []
  const pending = [pid]
  while (pending.length > 0) {
    const next = pending.pop()!
    tree.push(next)
    pending.push(...(children.get(next) ?? []))
  }
  return tree
}

/** Pss and Rss summed over `pids` (/proc/<pid>/smaps_rollup); a process that has exited meanwhile counts as none. */
export function memoryOf(pids: Iterable<number>): ProcessMemory {
  let processes = 0
  let pssBytes = 0
  let rssBytes = 0
  for (const pid of new Set(pids)) {
    let rollup: string
    try {
      rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    } catch {
      continue
    }
    processes++
    pssBytes += kibField(rollup, 'Pss') * 1024
    rssBytes += kibField(rollup, 'Rss') * 1024
  }
  return { processes, pssBytes, rssBytes }
}

export function addMemory(a: ProcessMemory, b: ProcessMemory): ProcessMemory {
  return { processes: a.processes + b.processes, pssBytes: a.pssBytes + b.pssBytes, rssBytes: a.rssBytes + b.rssBytes }
}

/** [pid, ppid] of every process. */
function parents(): [number, number][] {
  const pairs: [number, number][] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (Number.isInteger(ppid)) pairs.push([Number(entry), ppid])
  }
  return pairs
}

function kibField(rollup: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)
  return match ? Number(match[1]) : 0
}
