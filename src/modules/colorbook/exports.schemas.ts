import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { EXPORT_FORMATS, EXPORT_STATUSES } from './domain.js'

export const ExportBody = Type.Object(
  { format: Type.Enum(EXPORT_FORMATS, { description: 'pdf: a print-ready colouring book; json: the project as a versioned document' }) },
  { additionalProperties: false },
)

export const ExportParams = Type.Object({ id: Uuid, exportId: Uuid }, { additionalProperties: false })

export const ExportView = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    format: Type.Enum(EXPORT_FORMATS, { description: 'pdf or json' }),
    status: Type.Enum(EXPORT_STATUSES, { description: 'queued, running, done or failed' }),
    error: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()], { description: 'Why it failed, or null' }),
    createdAt: Timestamp,
    finishedAt: Type.Union([Timestamp, Type.Null()], { description: 'When it finished, or null' }),
    file: Type.Union(
      [
        Type.Object(
          {
            id: Uuid,
            url: Type.String({ maxLength: 2000, description: 'A signed link to the result (no token needed)' }),
            expiresAt: Timestamp,
          },
          { description: 'The result file' },
        ),
        Type.Null(),
      ],
      { description: 'When done: the result (a file of yours) with a signed link valid for an hour; else null' },
    ),
  },
  { title: 'ColorbookExport', description: 'An export of a project' },
)
