import { AjvCompiler, type Options as AjvOptions } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

type SchemaControllerOptions = NonNullable<FastifyServerOptions['schemaController']>
type ValidatorFactory = NonNullable<NonNullable<SchemaControllerOptions['compilersFactory']>['buildValidator']>
interface AjvServerOptions {
  customOptions?: AjvOptions
  plugins?: unknown[]
}
interface RouteSchema {
  schema: unknown
  method: string
  url: string
  httpPart?: string
}
type Compile = (route: RouteSchema) => unknown

/** Every error at once (details name each field), no field dropped silently, declared defaults filled in. */
export const ajvOptions = { customOptions: { allErrors: true, removeAdditional: false, useDefaults: true } } satisfies FastifyServerOptions['ajv']

/**
 * Request validation by HTTP part. A JSON body carries its own types, so a value of the wrong type
 * (`"10"` for a number, `true` for a string, a string for an array, null) is refused, never converted.
 * Query strings, path params and headers arrive as text: there `?limit=5` becomes 5 and a single
 * `?status=x` an array where one is declared. Each part has its own Ajv instance holding the shared
 * schemas (`app.addSchema`), so a `$ref` resolves in both.
 */
export function requestValidation(): SchemaControllerOptions {
  const strictPool = AjvCompiler()
  const coercingPool = AjvCompiler()
  const buildValidator = (externalSchemas: Record<string, object>, options: AjvServerOptions = {}): Compile => {
    const customOptions = { ...ajvOptions.customOptions, ...options.customOptions }
    const body = strictPool(externalSchemas, { ...options, customOptions: { ...customOptions, coerceTypes: false } } as never) as unknown as Compile
    const text = coercingPool(externalSchemas, { ...options, customOptions: { ...customOptions, coerceTypes: 'array' } } as never) as unknown as Compile
    return (route) => (route.httpPart === 'body' ? body(route) : text(route))
  }
  return { compilersFactory: { buildValidator: buildValidator as unknown as ValidatorFactory } }
}
