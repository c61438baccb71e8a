import { Api, type User } from './api.ts'

/** Who is signed in, and why the sign-in page shows (a sign-out, or a session that ended by itself). */
export const session = $state<{ user: User | undefined; notice: string | undefined }>({ user: undefined, notice: undefined })

export const api = new Api({
  onSessionEnd: () => {
    session.user = undefined
    session.notice = 'Your session has ended; sign in again.'
  },
})
session.user = api.storedUser()

export async function signIn(login: string, password: string): Promise<void> {
  const user = await api.signIn(login, password)
  if (user.role !== 'admin') {
    await api.signOut()
    throw new Error('This account is not an administrator.')
  }
  session.user = user
  session.notice = undefined
}

export async function signOut(): Promise<void> {
  await api.signOut()
  session.user = undefined
  session.notice = 'You have signed out.'
}
