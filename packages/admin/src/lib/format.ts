/** Shown values: dates, sizes, numbers and long JSON cut short. */

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function day(value: string | null | undefined): string {
  return value ? value.slice(0, 10) : '—'
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let size = value
  let unit = 0
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024
    unit += 1
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`
}

export function count(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : `${(value * 100).toFixed(value < 0.01 && value > 0 ? 2 : 1)} %`
}

/** A cell's text: objects as JSON, cut at `max` characters with the full text kept for a title. */
export function cell(value: unknown, max = 80): { text: string; full: string; truncated: boolean } {
  const full = value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value)
  return full.length > max ? { text: `${full.slice(0, max - 1)}…`, full, truncated: true } : { text: full, full, truncated: false }
}

export function statusLabel(status: string): string {
  return status.replaceAll('_', ' ')
}
