/** What the server runs, from GET /admin/config.json: the console shows only the enabled modules' pages. */
export interface ConsoleConfig {
  modules: string[]
  version: string
}

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<ConsoleConfig> {
  try {
    const response = await fetcher('/admin/config.json', { headers: { accept: 'application/json' } })
    if (response.ok) return (await response.json()) as ConsoleConfig
  } catch {
    // offline or an older server: show the platform's pages only
  }
  return { modules: [], version: '' }
}

export interface NavItem {
  path: string
  label: string
  module?: string
}

export const NAV: readonly NavItem[] = [
  { path: '/', label: 'Overview' },
  { path: '/users', label: 'Users' },
  { path: '/audit', label: 'Audit log' },
  { path: '/cylinders', label: 'Cylinders', module: 'cylinders' },
  { path: '/chat', label: 'Chat', module: 'chat' },
  { path: '/colorbook', label: 'ColorBook', module: 'colorbook' },
  { path: '/files', label: 'Files' },
  { path: '/account', label: 'Your sessions' },
]

export function navFor(modules: readonly string[]): NavItem[] {
  return NAV.filter((item) => !item.module || modules.includes(item.module))
}
