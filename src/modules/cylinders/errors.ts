import type { ErrorSpec } from '../../core/errors/catalog.js'

/** The module's codes in the one catalog: stable, never renamed. */
export const cylinderErrors = {
  CYLINDER_INVALID_TRANSITION: { status: 409, message: 'Some cylinders cannot make this move; nothing was changed.' },
  CYLINDER_TEST_OVERDUE: { status: 409, message: 'Some cylinders are past their test date and must be requalified first; nothing was changed.' },
  CYLINDER_QR_RETIRED: { status: 410, message: 'This QR code was replaced by a reprinted label; scan the new label.' },
  CYLINDER_SERIAL_TAKEN: { status: 409, message: 'A cylinder with this serial number already exists.' },
  CYLINDER_BATCH_ID_REUSED: { status: 409, message: 'This clientBatchId was already used for a different batch.' },
  CYLINDER_LOCATION_INVALID: { status: 422, message: 'The location cannot take this move.' },
  CYLINDER_IMPORT_INVALID: { status: 422, message: 'The CSV has errors; no cylinder was imported.' },
  LOCATION_NAME_TAKEN: { status: 409, message: 'A location with this name already exists.' },
  LOCATION_IN_USE: { status: 409, message: 'The location has cylinders or shipments; archive it instead.' },
} as const satisfies Record<string, ErrorSpec>
