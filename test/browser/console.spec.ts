import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAdmin } from '../../scripts/build-admin.js'
import { startServer, type ServerProcess } from '../helpers/server-process.js'

/**
 * The admin console end to end: a real Plinth process (embedded PostgreSQL in a temp DATA_DIR, or
 * DATABASE_URL/REDIS_URL when set), the built console, and Debian's Chromium. Screenshots of each page
 * go to docs/console/ (README, "Admin console").
 */
const root = join(import.meta.dirname, '..', '..')
const shots = join(root, 'docs', 'console')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ADMIN = { email: 'admin@example.com', password: 'Console-e2e passphrase 42' }
const WORKER = { name: 'Wendy Worker', email: 'wendy@example.com', password: 'Worker-e2e passphrase 42' }

let server: ServerProcess
let browser: Browser
let page: Page
const problems: string[] = []

async function api<T>(path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
}

async function login(who: { email: string; password: string }): Promise<string> {
  const answer = await api<{ accessToken: string }>('/api/auth/login', { method: 'POST', body: { email: who.email, password: who.password } })
  expect(answer.status).toBe(200)
  return answer.body.accessToken
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`) })
}

/** Client-side navigation, as a click on the nav does (no page load). */
async function go(path: string): Promise<void> {
  // A string: this file is type-checked without the DOM's types.
  await page.evaluate(`history.pushState(null, '', ${JSON.stringify(`/admin${path}`)}); dispatchEvent(new PopStateEvent('popstate'))`)
}

async function signIn(): Promise<void> {
  await page.getByLabel('E-mail or username', { exact: true }).fill(ADMIN.email)
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** The page's requests answered: no table still says "Loading…". */
async function settled(): Promise<void> {
  await page.waitForLoadState('networkidle')
  await expect.poll(() => page.getByText('Loading…').count()).toBe(0)
}

const bar = (chart: string, label: string) => page.locator(`[data-chart="${chart}"] [data-bar="${label}"]`)

describe.skipIf(!existsSync(CHROMIUM))('the admin console in Chromium', () => {
  beforeAll(async () => {
    buildAdmin(join(root, 'packages', 'admin'))
    mkdirSync(shots, { recursive: true })
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-console-'))
    server = await startServer(
      { DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'info' },
      120_000,
    )
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) problems.push(`CSP: ${message.text()}`)
    })
    return () => rmSync(dataDir, { recursive: true, force: true })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('signs in, manages users and cylinders with a live inventory, imports a CSV, revokes a session and signs out', async () => {
    await page.goto(`${server.url}/admin`)
    await page.getByRole('heading', { name: 'Plinth admin' }).waitFor()
    await shot('sign-in')
    await page.getByLabel('E-mail or username', { exact: true }).fill(ADMIN.email)
    await page.getByLabel('Password', { exact: true }).fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The e-mail, username or password is incorrect.')
    await signIn()
    await page.getByRole('heading', { name: 'Overview' }).waitFor()

    // Overview: health, readiness of each dependency, the request rate once two samples of /metrics are in.
    await expect.poll(() => page.getByTestId('health').textContent()).toContain('Alive')
    await expect.poll(() => page.getByTestId('readiness').textContent()).toContain('database')
    await expect.poll(() => page.getByTestId('traffic').textContent(), { timeout: 15_000 }).toContain('req/s')
    await shot('overview')

    // Time to first render: navigation start to the overview's health card showing, signed in from the tab's storage.
    await page.reload()
    await page.getByTestId('health').getByText('Alive').waitFor()
    const firstRenderMs = await page.evaluate(() => performance.now())
    console.log(`overview first render: ${Math.round(firstRenderMs)} ms after navigation start`)

    // Users: a field error from the API next to its field, then a worker created from the form.
    await page.getByRole('link', { name: 'Users' }).click()
    await page.getByRole('button', { name: 'New account' }).click()
    await page.getByLabel('Name', { exact: true }).fill(WORKER.name)
    await page.getByLabel('E-mail', { exact: true }).fill('wendy-at-example')
    await page.getByLabel('Password', { exact: true }).fill(WORKER.password)
    await page.getByLabel('Role', { exact: true }).selectOption('worker')
    await page.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => page.locator('[data-field-error="new-email"]').textContent()).toContain('email')
    await page.getByLabel('E-mail', { exact: true }).fill(WORKER.email)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('link', { name: WORKER.name }).waitFor()
    await shot('users')
    const workerToken = await login(WORKER)

    // Cylinders: two added from the form, then the inventory chart moves when a worker ships one over the API.
    await page.getByRole('link', { name: 'Cylinders' }).click()
    await page.getByRole('link', { name: 'Add or import' }).click()
    for (const serial of ['E2E-1', 'E2E-2']) {
      await page.getByLabel('Serial number', { exact: true }).fill(serial)
      await page.getByLabel('Gas type', { exact: true }).fill('oxygen')
      await page.getByRole('button', { name: 'Add cylinder' }).click()
      await page.getByRole('status').getByRole('link', { name: serial }).waitFor()
    }
    await page.getByRole('link', { name: 'Inventory' }).click()
    await expect.poll(() => page.getByTestId('live-status').textContent()).toBe('live')
    await expect.poll(() => bar('By status', 'available').getAttribute('data-value')).toBe('2')
    expect(await bar('By status', 'sent').getAttribute('data-value')).toBe('0')
    await page.evaluate('window.sameDocument = true')
    const found = await api<{ items: { id: string }[] }>('/api/cylinders?q=E2E-1', { token: workerToken })
    const shipped = await api('/api/cylinders/ship', { method: 'POST', token: workerToken, body: { cylinderIds: [found.body.items[0]!.id], sentTo: 'ACME Welding' } })
    expect(shipped.status).toBe(201)
    await expect.poll(() => bar('By status', 'sent').getAttribute('data-value')).toBe('1')
    expect(await bar('By status', 'available').getAttribute('data-value')).toBe('1')
    expect(await page.evaluate('window.sameDocument')).toBe(true)
    await expect.poll(() => bar('By location', 'ACME Welding').getAttribute('data-value')).toBe('1')
    await shot('cylinders-inventory')

    // A CSV with a bad row: nothing imported, the row's line and column shown.
    await page.getByRole('link', { name: 'Add or import' }).click()
    await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'cylinders.csv', mimeType: 'text/csv', buffer: Buffer.from('serialNumber,gasType\nIMP-1,argon\nIMP-2,\nIMP-3,argon\n') })
    await page.getByRole('button', { name: 'Import' }).click()
    const errors = page.getByRole('table', { name: 'Rows with errors' })
    await errors.waitFor()
    expect(await errors.locator('tbody tr').count()).toBe(1)
    expect(await errors.locator('td[data-column="line"]').textContent()).toBe('3')
    expect(await errors.locator('td[data-column="field"]').textContent()).toBe('gasType')
    expect((await api<{ items: unknown[] }>('/api/cylinders?q=IMP', { token: workerToken })).body.items).toEqual([])
    await shot('cylinders-import')

    // Every other page, for the README (and a render without errors).
    await page.getByRole('link', { name: 'Search' }).click()
    await page.getByRole('link', { name: 'E2E-1' }).waitFor()
    await shot('cylinders-search')
    await page.getByRole('link', { name: 'E2E-1' }).click()
    await page.getByRole('img', { name: 'QR code of E2E-1' }).waitFor()
    await page.getByRole('table', { name: 'History' }).getByText('shipped').waitFor()
    await shot('cylinder-detail')
    for (const [tab, name] of [['Locations', 'cylinders-locations'], ['Shipments', 'cylinders-shipments'], ['Overdue and tests due', 'cylinders-due']] as const) {
      await page.getByRole('link', { name: tab }).click()
      await settled()
      await shot(name)
    }
    for (const [link, name] of [['Audit log', 'audit'], ['Chat', 'chat'], ['ColorBook', 'colorbook'], ['Files', 'files'], ['Your sessions', 'sessions']] as const) {
      if (name === 'colorbook') {
        await page.getByRole('link', { name: link, exact: true }).click()
        await page.getByRole('button', { name: 'Save free' }).waitFor()
      }
      await page.getByRole('link', { name: link, exact: true }).click()
      await settled()
      await shot(name)
    }

    // Revoke the worker's sessions from the console: its token is refused from then on.
    expect((await api('/api/auth/me', { token: workerToken })).status).toBe(200)
    await page.getByRole('link', { name: 'Users' }).click()
    await page.getByRole('link', { name: WORKER.name }).click()
    await page.getByRole('button', { name: 'Revoke sessions' }).click()
    await page.getByRole('button', { name: 'End every session' }).click()
    await page.getByRole('status').getByText('Every session of this account was ended.').waitFor()
    expect((await api<{ error: { code: string } }>('/api/auth/me', { token: workerToken })).body.error.code).toBe('SESSION_REVOKED')
    await shot('user-detail')

    // The dark theme.
    await page.getByLabel('Theme', { exact: true }).selectOption('dark')
    await go('/')
    await expect.poll(() => page.getByTestId('traffic').textContent(), { timeout: 15_000 }).toContain('req/s')
    await shot('overview-dark')
    await page.getByLabel('Theme', { exact: true }).selectOption('light')

    // A tablet: the navigation folds behind Menu.
    await page.setViewportSize({ width: 820, height: 1180 })
    await page.getByRole('button', { name: 'Menu' }).click()
    await page.getByRole('link', { name: 'Cylinders' }).click()
    await expect.poll(() => page.getByTestId('live-status').textContent()).toBe('live')
    await shot('tablet-cylinders')
    await page.setViewportSize({ width: 1280, height: 800 })

    // Sign out: back to the sign-in page, and the session is over on the server.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await expect.poll(() => page.getByTestId('sign-in-notice').textContent()).toBe('You have signed out.')

    // A session ended elsewhere (here: from another of the admin's sessions) sends the console back to sign in.
    await signIn()
    const other = await login(ADMIN)
    const sessions = await api<{ items: { id: string; current: boolean; userAgent: string | null }[] }>('/api/auth/sessions', { token: other })
    const browserSession = sessions.body.items.filter((session) => !session.current).find((session) => /Chrome/.test(session.userAgent ?? ''))!
    expect((await api(`/api/auth/sessions/${browserSession.id}`, { method: 'DELETE', token: other })).status).toBe(204)
    // The next request (or the realtime socket, whichever notices first) finds the session gone.
    await go('/users')
    await expect.poll(() => page.getByTestId('sign-in-notice').textContent()).toBe('Your session has ended; sign in again.')

    expect(problems).toEqual([])
  })
})
