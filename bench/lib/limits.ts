import { readFileSync } from 'node:fs'

/**
 * The soft limit on open files (`ulimit -n`) of this process, from /proc/self/limits (Linux); null
 * where that is unavailable. Children inherit it: the bench checks it before opening thousands of sockets.
 */
export function openFilesLimit(): number | null {
  let limits: string
  try {
    limits = readFileSync('/proc/self/limits', 'utf8')
  } catch {
    return null
  }
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits)
  if (!match) return null
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1])
}
