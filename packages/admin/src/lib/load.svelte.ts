import { ApiError, type Page } from './api.ts'

/** Data loaded from the API, with its error; `missing` when the server has no such route (the panel hides). */
export class Resource<T> {
  data = $state<T | undefined>(undefined)
  error = $state<unknown>(undefined)
  loading = $state(false)
  missing = $state(false)

  constructor(private readonly fetcher: () => Promise<T>) {}

  async load(): Promise<void> {
    this.loading = true
    try {
      this.data = await this.fetcher()
      this.error = undefined
    } catch (error) {
      if (error instanceof ApiError && error.routeMissing) this.missing = true
      else this.error = error
    } finally {
      this.loading = false
    }
  }
}

/**
 * A keyset-paginated list: the cursor of each page shown so far is kept, so Previous asks for exactly
 * the page it showed, and a change of filters starts again from the first page.
 */
export class KeysetList<T> {
  items = $state<T[]>([])
  nextCursor = $state<string | null>(null)
  cursors = $state<(string | undefined)[]>([undefined])
  error = $state<unknown>(undefined)
  loading = $state(false)
  missing = $state(false)

  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {}

  get page(): number {
    return this.cursors.length
  }

  reload(): Promise<void> {
    this.cursors = [undefined]
    return this.fetch()
  }

  /** The current page again (after an edit or a delete). */
  refresh(): Promise<void> {
    return this.fetch()
  }

  next(): Promise<void> {
    if (!this.nextCursor) return Promise.resolve()
    this.cursors.push(this.nextCursor)
    return this.fetch()
  }

  prev(): Promise<void> {
    if (this.cursors.length > 1) this.cursors.pop()
    return this.fetch()
  }

  private async fetch(): Promise<void> {
    this.loading = true
    try {
      const page = await this.fetchPage(this.cursors[this.cursors.length - 1])
      this.items = page.items
      this.nextCursor = page.nextCursor
      this.error = undefined
    } catch (error) {
      if (error instanceof ApiError && error.routeMissing) this.missing = true
      else this.error = error
    } finally {
      this.loading = false
    }
  }
}

/** A form's submission: field errors from the API by field name, and the error as a whole. */
export class FormState {
  fields = $state<Record<string, string>>({})
  error = $state<unknown>(undefined)
  busy = $state(false)

  async submit<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.busy = true
    this.fields = {}
    this.error = undefined
    try {
      return await action()
    } catch (error) {
      if (error instanceof ApiError) this.fields = error.fields
      this.error = error
      return undefined
    } finally {
      this.busy = false
    }
  }
}
