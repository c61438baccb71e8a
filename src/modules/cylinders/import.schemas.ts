import Type from 'typebox'
import { CylinderRef } from './cylinders.schemas.js'
import { IMPORT_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from './import.service.js'

export const ImportResult = Type.Object(
  {
    imported: Type.Integer({ format: 'int32', minimum: 1, maximum: MAX_IMPORT_ROWS, description: 'How many cylinders were added' }),
    items: Type.Array(CylinderRef, { maxItems: MAX_IMPORT_ROWS, description: 'The new cylinders, in the order of the rows' }),
  },
  { title: 'CylinderImportResult', description: 'Every row was imported' },
)

export const CsvBody = Type.String({
  maxLength: MAX_IMPORT_BYTES,
  description: `UTF-8 (or the charset the Content-Type names), at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB and ${MAX_IMPORT_ROWS} rows, comma-, semicolon- or tab-separated. A header row names the columns, in any order, without regard to case, spaces or underscores: ${IMPORT_COLUMNS.join(', ')}. serialNumber and gasType are required; dates are YYYY-MM-DD; status is available (the default), returned or quarantined.`,
  examples: ['serialNumber,gasType,capacityLiters,nextTestDue\nSN-1001,CO2,50,2030-01-31\n'],
})

export const importDescription =
  'All or nothing: every row is checked first, and any problem answers 422 CYLINDER_IMPORT_INVALID with `details.rows` (up to 100 of `{ line, errors: { column: problem } }`, line 1 being the header), `invalidRows` and `totalRows`; unknown, repeated or missing columns are named in `details`. Serial numbers repeated in the file or already in use are row errors. Each imported cylinder gets a QR code and an `imported` history event.'
