/** Client routes under /admin with the History API (no hash): the server answers index.html for each. */
export const BASE = '/admin'

export const route = $state<{ path: string; query: URLSearchParams }>(read())

function read(): { path: string; query: URLSearchParams } {
  const { pathname, search } = window.location
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) || '/' : '/'
  return { path: path.length > 1 ? path.replace(/\/+$/, '') : path, query: new URLSearchParams(search) }
}

window.addEventListener('popstate', () => Object.assign(route, read()))

/** Goes to a console path (`/users?q=ann`); `replace` keeps the history entry (filters). */
export function navigate(path: string, replace = false): void {
  const url = `${BASE}${path === '/' ? '' : path}`
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  Object.assign(route, read())
  if (!replace) window.scrollTo?.(0, 0)
}

/** Sets query parameters of the current path, dropping empty ones. */
export function setQuery(values: Record<string, string | undefined>): void {
  const query = new URLSearchParams(route.query)
  for (const [key, value] of Object.entries(values)) {
    if (value) query.set(key, value)
    else query.delete(key)
  }
  const text = query.toString()
  navigate(`${route.path}${text ? `?${text}` : ''}`, true)
}

/** `use:link` on an <a href="/admin/…">: navigates without a page load (modifier keys still open a tab). */
export function link(anchor: HTMLAnchorElement): { destroy(): void } {
  const onClick = (event: MouseEvent): void => {
    const href = anchor.getAttribute('href') ?? ''
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    if (!href.startsWith(BASE) || anchor.target || anchor.hasAttribute('download')) return
    event.preventDefault()
    navigate(href.slice(BASE.length) || '/')
  }
  anchor.addEventListener('click', onClick)
  return { destroy: () => anchor.removeEventListener('click', onClick) }
}

/** Matches `/cylinders/:id` against a path: the params, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const names: string[] = []
  const regex = new RegExp(`^${pattern.replace(/:([a-zA-Z]+)/g, (_m, name: string) => (names.push(name), '([^/]+)'))}$`)
  const found = regex.exec(path)
  if (!found) return undefined
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]))
}
