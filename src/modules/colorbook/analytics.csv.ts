import type { Dashboard } from './usage.service.js'

/** A cell: quoted when it must be, and a leading = + - @ neutralized so spreadsheets never run it as a formula. */
function cell(value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The dashboard as one long table: metric, day, type, count, users (CRLF line ends, RFC 4180). */
export function dashboardCsv(dashboard: Dashboard): string {
  const rows: (string | number | null)[][] = [['metric', 'day', 'type', 'count', 'users']]
  for (const [metric, list] of [
    ['active_users_daily', dashboard.activeUsers.daily],
    ['active_users_weekly', dashboard.activeUsers.weekly],
    ['active_users_monthly', dashboard.activeUsers.monthly],
  ] as const) {
    for (const row of list) rows.push([metric, row.day, null, null, row.users])
  }
  for (const row of dashboard.events) rows.push(['events', row.day, row.type, row.count, row.users])
  for (const [metric, list] of [
    ['projects_created', dashboard.projectsCreated],
    ['template_usage', dashboard.templateUsage],
    ['conversions', dashboard.conversions],
  ] as const) {
    for (const row of list) rows.push([metric, row.day, null, row.count, null])
  }
  for (const row of dashboard.planMix.paidSubscriptions) rows.push(['paid_subscriptions', null, row.plan, null, row.users])
  for (const row of dashboard.planMix.activeUsers) rows.push(['active_users_by_plan', null, row.plan, null, row.users])
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`
}
