import type { Api, Query } from './api.ts'

/** Fetches with the bearer token and saves the answer under `filename` (a link cannot send the token). */
export async function download(api: Api, path: string, filename: string, query?: Query): Promise<void> {
  const blob = await api.blob(path, query)
  saveBlob(blob, filename)
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.download = filename
  document.body.append(anchor)
  anchor.click()
  anchor.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export function saveJson(value: unknown, filename: string): void {
  saveBlob(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }), filename)
}
