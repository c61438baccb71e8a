import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import SignIn from '../src/pages/SignIn.svelte'
import { session } from '../src/lib/session.svelte.ts'
import { adminUser, fakeFetch, tokenPair, validationError } from './fake-server.ts'

afterEach(() => {
  vi.unstubAllGlobals()
  session.user = undefined
})

async function submit(login: string, password: string): Promise<void> {
  await fireEvent.input(screen.getByLabelText('E-mail or username'), { target: { value: login } })
  await fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } })
  await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
}

describe('the sign-in page', () => {
  it('signs an administrator in', async () => {
    const server = fakeFetch({ 'POST /api/auth/login': () => ({ body: { user: adminUser, ...tokenPair(1) } }) })
    vi.stubGlobal('fetch', server.fetch)
    render(SignIn, { notice: 'Your session has ended; sign in again.' })
    expect(screen.getByTestId('sign-in-notice').textContent).toBe('Your session has ended; sign in again.')
    await submit('admin@example.com', 'a sturdy passphrase')
    await waitFor(() => expect(session.user?.id).toBe(adminUser.id))
    expect(server.calls[0]!.body).toEqual({ email: 'admin@example.com', password: 'a sturdy passphrase' })
    expect((JSON.parse(sessionStorage.getItem('plinth.admin.session')!) as { refreshToken: string }).refreshToken).toBe('refresh1')
  })

  it("shows the API's field error next to its field", async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'POST /api/auth/login': () => validationError({ password: 'must NOT have fewer than 1 characters' }) }).fetch)
    render(SignIn)
    await submit('admin@example.com', 'x')
    const error = await screen.findByText('must NOT have fewer than 1 characters')
    expect(error.getAttribute('data-field-error')).toBe('password')
    expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true')
    expect(session.user).toBeUndefined()
  })

  it('says why wrong credentials are refused', async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'POST /api/auth/login': () => ({ status: 401, body: { error: { code: 'INVALID_CREDENTIALS', message: 'The e-mail, username or password is incorrect.', details: {} } } }) }).fetch)
    render(SignIn)
    await submit('admin@example.com', 'wrong')
    expect((await screen.findByRole('alert')).textContent).toContain('The e-mail, username or password is incorrect.')
  })

  it('refuses an account that is not an administrator, and ends the session it opened', async () => {
    const server = fakeFetch({ 'POST /api/auth/login': () => ({ body: { user: { ...adminUser, role: 'worker' }, ...tokenPair(1) } }), 'POST /api/auth/logout': () => ({ status: 204 }) })
    vi.stubGlobal('fetch', server.fetch)
    render(SignIn)
    await submit('worker@example.com', 'a sturdy passphrase')
    expect((await screen.findByRole('alert')).textContent).toContain('This account is not an administrator.')
    expect(server.calls.map((call) => call.url)).toEqual(['/api/auth/login', '/api/auth/logout'])
    expect(session.user).toBeUndefined()
    expect(sessionStorage.getItem('plinth.admin.session')).toBeNull()
  })
})
