import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import Users from '../src/pages/Users.svelte'
import { adminUser, fakeFetch, validationError, type Call } from './fake-server.ts'

const person = (n: number) => ({ ...adminUser, id: `01900000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`, name: `Person ${n}`, email: `p${n}@example.com`, role: 'worker' })

beforeEach(() => {
  sessionStorage.setItem('plinth.admin.session', JSON.stringify({ accessToken: 'a.b.c', refreshToken: 'r', expiresAt: Date.now() + 600_000, lifetimeMs: 900_000 }))
  sessionStorage.setItem('plinth.admin.user', JSON.stringify(adminUser))
  history.replaceState(null, '', '/admin/users')
})
afterEach(() => vi.unstubAllGlobals())

/** Picks an option as a person does: the option becomes selected, then the select changes. */
async function choose(label: string, value: string): Promise<void> {
  const select = screen.getByLabelText<HTMLSelectElement>(label)
  for (const option of select.options) option.selected = option.value === value
  await fireEvent.change(select)
}

const query = (call: Call) => Object.fromEntries(new URL(call.url, 'http://console').searchParams)

describe('the users page', () => {
  it('pages through the list by cursor, forward and back', async () => {
    const server = fakeFetch({
      'GET /api/users': (call) => {
        const cursor = query(call).cursor
        return { body: cursor === 'c2' ? { items: [person(3)], nextCursor: null } : { items: [person(1), person(2)], nextCursor: 'c2' } }
      },
    })
    vi.stubGlobal('fetch', server.fetch)
    render(Users)
    expect(await screen.findByText('Person 1')).toBeTruthy()
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }))
    expect(await screen.findByText('Person 3')).toBeTruthy()
    expect(screen.getByTestId('page-number').textContent).toBe('Page 2')
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Next' }).disabled).toBe(true)
    await fireEvent.click(screen.getByRole('button', { name: 'Previous' }))
    expect(await screen.findByText('Person 2')).toBeTruthy()
    expect(server.calls.map((call) => query(call).cursor ?? null)).toEqual([null, 'c2', null])
  })

  it('filters by search, role, status and verification, and keeps them in the address', async () => {
    const server = fakeFetch({ 'GET /api/users': () => ({ body: { items: [], nextCursor: null } }) })
    vi.stubGlobal('fetch', server.fetch)
    render(Users)
    await screen.findByText('No account matches.')
    await fireEvent.input(screen.getByLabelText('Search'), { target: { value: 'ann' } })
    await choose('Role', 'worker')
    await choose('Status', 'disabled')
    await choose('Verification', 'false')
    await waitFor(() => expect(query(server.calls.at(-1)!)).toMatchObject({ q: 'ann', role: 'worker', status: 'disabled', verified: 'false', limit: '25' }), { timeout: 2000 })
    expect(location.search).toContain('q=ann')
    expect(location.search).toContain('status=disabled')
  })

  it('creates an account and shows the field errors the API gives', async () => {
    const server = fakeFetch({
      'GET /api/users': () => ({ body: { items: [], nextCursor: null } }),
      'POST /api/users': (call) => ((call.body as { email: string }).email.includes('@') ? { status: 201, body: person(9) } : validationError({ email: 'must match format "email"' })),
    })
    vi.stubGlobal('fetch', server.fetch)
    render(Users)
    await fireEvent.click(screen.getByRole('button', { name: 'New account' }))
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'Wanda Worker' } })
    await fireEvent.input(screen.getByLabelText('E-mail'), { target: { value: 'wanda' } })
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'a sturdy passphrase' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create account' }))
    const error = await screen.findByText('must match format "email"')
    expect(error.getAttribute('data-field-error')).toBe('new-email')
    await fireEvent.input(screen.getByLabelText('E-mail'), { target: { value: 'wanda@example.com' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Create account' }))
    await waitFor(() => expect(screen.queryByRole('form', { name: 'New account' })).toBeNull())
    expect(server.calls.filter((call) => call.method === 'POST').at(-1)!.body).toEqual({ name: 'Wanda Worker', email: 'wanda@example.com', password: 'a sturdy passphrase', role: 'worker' })
  })
})
