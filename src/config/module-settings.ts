import type { Static, TObject } from 'typebox'
import Value from 'typebox/value'
import { shownValue } from './redact.js'

/**
 * A module's own environment variables, declared in its manifest (`settings: defineSettings(…)`):
 * a TypeBox object whose keys are the variables, each named `<MODULE>_…` (the module's name in upper
 * case, `-` as `_`), with its `default` and, as `description`, what to write (the error message
 * says "expected <description>"). Values arrive as strings and are converted as the core's are.
 * `check` refuses values the schema cannot express (a time zone that does not exist); `parse` maps
 * the validated variables to the typed object the module receives as `ctx.settings`.
 */
export interface ModuleSettings<T = unknown> {
  readonly schema: TObject
  readonly check?: { readonly [variable: string]: ((value: never) => boolean) | undefined }
  parse(values: never): T
}

export function defineSettings<S extends TObject, T>(settings: {
  readonly schema: S
  readonly check?: { readonly [K in keyof Static<S>]?: (value: Static<S>[K]) => boolean }
  parse(values: Static<S>): T
}): ModuleSettings<T> {
  for (const [name, property] of Object.entries(settings.schema.properties as Record<string, { description?: unknown }>)) {
    if (typeof property.description !== 'string') throw new Error(`Module setting ${name} needs a description (what to write)`)
  }
  return settings
}

/** What config needs to know of a module: a `ModuleDefinition` fits. */
export interface ModuleSettingsOwner {
  readonly name: string
  readonly settings?: ModuleSettings
}

/** `cylinders` → `CYLINDERS_`, `stock-take` → `STOCK_TAKE_`. */
export function settingsPrefix(moduleName: string): string {
  return `${moduleName.toUpperCase().replaceAll('-', '_')}_`
}

/** A programming error in a manifest (a variable not named after its module, or a core variable). */
export function settingsNameProblem(owner: ModuleSettingsOwner, coreVariables: ReadonlySet<string>): string | undefined {
  const prefix = settingsPrefix(owner.name)
  for (const name of Object.keys(owner.settings?.schema.properties ?? {})) {
    if (!name.startsWith(prefix) || name.length === prefix.length) return `Module "${owner.name}" declares the setting ${name}: its settings must be named ${prefix}…`
    if (coreVariables.has(name)) return `Module "${owner.name}" declares the setting ${name}, which is a core variable`
  }
  return undefined
}

/** The module's variables from `source`, validated: its typed settings, or one problem per bad variable. */
export function parseModuleSettings(settings: ModuleSettings, source: Record<string, string | undefined>): { value: unknown } | { problems: string[] } {
  const { schema } = settings
  const picked: Record<string, string> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = source[key]?.trim()
    if (value) picked[key] = value
  }
  const values = Value.Convert(schema, Value.Default(schema, { ...picked })) as Record<string, unknown>
  const problems = new Map<string, string>()
  const invalid = (name: string) => `${shownValue(name, picked[name] ?? '')} is invalid: expected ${(schema.properties[name] as { description: string }).description}`
  for (const error of Value.Errors(schema, values)) {
    const required = (error.params as { requiredProperties?: string[] }).requiredProperties
    for (const name of required ?? []) {
      if (!problems.has(name)) problems.set(name, `${name} is required: expected ${(schema.properties[name] as { description: string }).description}`)
    }
    const name = error.instancePath.slice(1)
    if (name && !problems.has(name)) problems.set(name, invalid(name))
  }
  for (const [name, check] of Object.entries(settings.check ?? {})) {
    if (check && !problems.has(name) && values[name] !== undefined && !(check as (value: unknown) => boolean)(values[name])) problems.set(name, invalid(name))
  }
  // In the schema's order, as the README lists them.
  if (problems.size > 0) return { problems: Object.keys(schema.properties).flatMap((name) => problems.get(name) ?? []) }
  return { value: (settings.parse as (values: unknown) => unknown)(values) }
}
