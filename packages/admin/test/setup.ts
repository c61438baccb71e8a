// Unmounts what each test rendered (Testing Library's Vitest hook) and starts every test signed out.
import '@testing-library/svelte/vitest'
import { afterEach } from 'vitest'

afterEach(() => {
  sessionStorage.clear()
  localStorage.clear()
})
