import { AjvCompiler, type Options as AjvOptions } from '@fastify/ajv-compiler'
import type { FastifyInstance, FastifySchemaCompiler, FastifyServerOptions } from 'fastify'
import { fieldErrors, type ValidationIssue } from '../errors/field-errors.js'

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
  /** For a body declared per media type (`body: { content: { … } }`): the one this schema is for. */
  contentType?: string
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

/**
 * A route's `validatorCompiler` that validates params, query, headers and bodies as the app does,
 * except bodies sent as one of `mediaTypes`: streams the handler reads itself (a multipart form, an
 * image as the body), which the route's `body.content` documents but no parser turns into a value
 * to validate. The shared schemas (`addSchema`) are those of `instance` when the route is compiled.
 */
export function validatorLeavingBodies(instance: FastifyInstance, mediaTypes: readonly string[]): FastifySchemaCompiler<unknown> {
  let compile: Compile | undefined
  const left = new Set(mediaTypes)
  return (route) => {
    if (route.httpPart === 'body' && route.contentType !== undefined && left.has(route.contentType)) return () => true
    compile ??= (requestValidation().compilersFactory!.buildValidator as unknown as (schemas: Record<string, unknown>, options: AjvServerOptions) => Compile)(instance.getSchemas(), ajvOptions)
    return compile(route) as ReturnType<FastifySchemaCompiler<unknown>>
  }
}

/**
 * Checks a value as a JSON body is checked (no coercion, unknown fields refused, defaults filled
 * in), for a body a handler assembles itself, e.g. a multipart form's text fields: `null` when it
 * passes, else the refused fields as 400 VALIDATION_FAILED names them.
 */
export function bodyChecker(schema: unknown): (value: unknown) => Record<string, string> | null {
  const compile = (requestValidation().compilersFactory!.buildValidator as unknown as (schemas: Record<string, unknown>, options: AjvServerOptions) => Compile)({}, ajvOptions)
  const validate = compile({ schema, method: 'POST', url: '/', httpPart: 'body' }) as ((value: unknown) => boolean) & { errors?: ValidationIssue[] | null }
  return (value) => (validate(value) ? null : fieldErrors(validate.errors ?? [], 'body'))
}
