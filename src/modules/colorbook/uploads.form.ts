import type { Readable } from 'node:stream'
import Type, { type TProperties } from 'typebox'
import { AppError } from '../../core/errors/app-error.js'
import { bodyChecker } from '../../core/http/validation.js'
import type { ImageInput } from './child-specs.js'
import { childSchemas } from './children.schemas.js'

/** One part of a multipart form as it arrives, in the client's order. */
export type FormPart =
  | { type: 'field'; name: string; value: unknown; truncated: boolean }
  | { type: 'file'; name: string; fileName: string; body: Readable; truncated: () => boolean }

/** The name of the form's file part. */
export const FILE_FIELD = 'file'

/** What the JSON body of POST /projects/:id/images takes, but the file itself: the form's text fields. */
const fieldProperties: TProperties = Object.fromEntries(Object.entries(childSchemas.image.create.properties).filter(([name]) => name !== 'fileId'))
const Fields = Type.Object(fieldProperties, { additionalProperties: false })
const checkFields = bodyChecker(Fields)
type Shape = { type?: string; anyOf?: Shape[] }
const fieldsOf = (type: string) => new Set(Object.entries(fieldProperties).flatMap(([name, schema]) => ([schema as Shape, ...((schema as Shape).anyOf ?? [])].some((s) => s.type === type) ? [name] : [])))
const ARRAY_FIELDS = fieldsOf('array')
/** Text fields whose JSON value is a number: sent as digits. */
const INTEGER_FIELDS = fieldsOf('integer')
const DIGITS = /^(0|[1-9][0-9]{0,15})$/

/** The largest MAX_UPLOAD_BYTES the configuration allows (5 GiB). */
const MAX_UPLOAD_BYTES_LIMIT = 5_368_709_120

/** The multipart body as the OpenAPI document shows it (the route reads the stream itself). */
export const ImageUploadForm = Type.Object(
  {
    [FILE_FIELD]: Type.String({ format: 'binary', maxLength: MAX_UPLOAD_BYTES_LIMIT, description: 'The image (JPEG, PNG, GIF, WebP or AVIF, decided from its bytes), at most MAX_UPLOAD_BYTES' }),
    ...fieldProperties,
  },
  { required: [FILE_FIELD], additionalProperties: false, description: 'One file part `file` and, as text fields, any of the JSON body’s fields but `fileId` (numbers as digits; `characterIds` repeated, once per id)' },
)

/**
 * The text fields of an image upload, collected as they arrive: numbers from their digits, a
 * field repeated only where the JSON body takes a list, nothing the JSON body does not take.
 */
export class ImageFormFields {
  private readonly values: Record<string, unknown> = {}
  private readonly refused: Record<string, string> = {}

  add(name: string, value: unknown, truncated: boolean): void {
    if (name === FILE_FIELD) this.refused[name] = 'must be a file part'
    else if (!Object.hasOwn(fieldProperties, name)) this.refused[name] = 'is not allowed'
    else if (truncated) this.refused[name] = 'is too long'
    else if (ARRAY_FIELDS.has(name)) this.values[name] = [...((this.values[name] as unknown[] | undefined) ?? []), ...(Array.isArray(value) ? (value as unknown[]) : [value])]
    else if (Object.hasOwn(this.values, name)) this.refused[name] = 'must be sent once'
    else this.values[name] = INTEGER_FIELDS.has(name) && typeof value === 'string' && DIGITS.test(value) ? Number(value) : value
  }

  /** A form without its file: 400 naming it, and any field refused. */
  missingFile(): never {
    this.refused[FILE_FIELD] ??= 'is required'
    this.input()
    throw new Error('unreachable: a refused field makes input() throw')
  }

  /** The fields as the JSON body would carry them; 400 VALIDATION_FAILED naming each refused field. */
  input(): ImageInput {
    const values = { ...this.values }
    const details = { ...checkFields(values), ...this.refused }
    const names = Object.keys(details)
    if (names.length > 0) throw new AppError('VALIDATION_FAILED', `The form is invalid: ${names.map((name) => `${name} ${details[name]}`).join('; ')}.`, details)
    return values
  }
}
