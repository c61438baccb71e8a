import { field, httpScenario, readyString } from './scenario.js'

/**
 * A database-backed read through the resource toolkit: authentication, permission check,
 * a primary-key SELECT scoped to the owner, serialization and an ETag.
 */
export const noteById = httpScenario({
  key: 'note-by-id',
  label: 'GET by id',
  title: 'Plinth GET /api/notes/:id (DB)',
  server: 'app',
  compareTo: ['health'],
  request: (target) => ({
    url: `/api/notes/${readyString(target, 'noteId')}`,
    headers: { 'x-test-actor': readyString(target, 'actor') },
  }),
  verify: (body, target) => (field(body, 'id') === readyString(target, 'noteId') ? undefined : 'expected the seeded note'),
})
