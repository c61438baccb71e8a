import Type from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { LOCATION_KINDS } from './domain.js'

const Kind = Type.Enum(LOCATION_KINDS, { description: 'customer: cylinders are shipped there; refill_station: they are sent there for refill' })
const Name = Type.String({ minLength: 1, maxLength: 120, pattern: '\\S', description: 'Unique, ignoring case', examples: ['Brewery Nord'] })
const Text = (max: number) => Type.Union([Type.String({ maxLength: max }), Type.Null()], { description: 'Blank or null clears it' })
const Email = Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()])

const optional = {
  contactName: Type.Optional(Text(120)),
  phone: Type.Optional(Text(40)),
  email: Type.Optional(Email),
  address: Type.Optional(Text(500)),
  notes: Type.Optional(Text(2000)),
}

export const Location = Type.Object(
  {
    id: Uuid,
    name: Type.String({ maxLength: 120 }),
    kind: Kind,
    contactName: Type.Union([Type.String({ maxLength: 120 }), Type.Null()]),
    phone: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    email: Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]),
    address: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    notes: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    active: Type.Boolean({ description: 'Archived (false) locations take no new shipments; their history stays' }),
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'CylinderLocation', description: 'The customer or refill station' },
)

export const LocationPage = Page(Location, 'CylinderLocationPage', 'A page of locations, by name, and the cursor of the next')

export const LocationListQuery = Type.Object(
  {
    ...PaginationQuery,
    kind: Type.Optional(Kind),
    active: Type.Optional(Type.Boolean({ description: 'true: only locations that take shipments; false: only archived ones' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The name contains this (ignoring case)' })),
  },
  { additionalProperties: false },
)

export const CreateLocationBody = Type.Object(
  { name: Name, kind: Kind, ...optional, active: Type.Optional(Type.Boolean({ default: true })) },
  { additionalProperties: false },
)

export const EditLocationBody = Type.Object(
  {
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version you read; a stale one is 409 VERSION_CONFLICT with the current record' }),
    name: Type.Optional(Name),
    kind: Type.Optional(Kind),
    ...optional,
    active: Type.Optional(Type.Boolean({ description: 'false archives the location: no new shipments, history kept' })),
  },
  { additionalProperties: false },
)
