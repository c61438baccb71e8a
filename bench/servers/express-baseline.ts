import { randomBytes } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { closeHttpServer, exitOnShutdown, failStartup, printReady } from './lifecycle.js'

/**
 * The seeds' stack as it is commonly written (shared/seeds 001, 004): Express 5, `pg`'s Pool,
 * `jsonwebtoken` in an auth middleware, `express.json()`. Two routes on Plinth's own tables, with the
 * queries Plinth runs: GET /api/auth/me (verify the bearer token, select the account by id, answer it
 * without its password hash) and GET /api/cylinders/:id (verify the token, select the cylinder by id).
 * It signs its own token (HS256, jsonwebtoken's default) for the first live account and reads the first
 * cylinder, so it runs after the app and cylinders servers have created them, on the run's database.
 *
 * The packages are devDependencies the bench does not install (lib/express-baseline.ts): they are
 * imported at run time, typed here by the little this server uses, so the bench typechecks without them.
 */
interface Request extends IncomingMessage {
  params: Record<string, string>
  user?: { sub: string }
}
interface Response extends ServerResponse {
  status(code: number): Response
  json(body: unknown): void
}
type Next = (error?: unknown) => void
type Handler = (request: Request, response: Response, next: Next) => unknown
interface ExpressApp {
  use(...handlers: unknown[]): void
  get(path: string, ...handlers: Handler[]): void
  listen(port: number, host: string, ready: () => void): Server
}
interface Express {
  (): ExpressApp
  json(): unknown
}
interface Pool {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>
  end(): Promise<void>
}
interface Jwt {
  sign(payload: object, secret: string, options: { expiresIn: number }): string
  verify(token: string, secret: string): unknown
}

const load = async <T>(name: string): Promise<T> => ((await import(name)) as { default: T }).default

let pool: Pool | undefined
let server: Server | undefined

exitOnShutdown(async () => {
  if (server) await closeHttpServer(server)
  await pool?.end()
})

async function start(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim()
  if (!url) throw new Error("DATABASE_URL is not set: the bench passes the run's database to every server")
  const [express, pg, jwt] = await Promise.all([load<Express>('express'), load<{ Pool: new (options: object) => Pool }>('pg'), load<Jwt>('jsonwebtoken')])
  // pg reads the embedded server's socket folder from the URL's `host` parameter itself.
  const db = (pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10), application_name: 'plinth-bench-express' }))
  const secret = randomBytes(32).toString('hex')

  const authenticate: Handler = (request, response, next) => {
    const header = request.headers.authorization ?? ''
    if (!header.startsWith('Bearer ')) return response.status(401).json({ error: 'missing token' })
    try {
      request.user = jwt.verify(header.slice(7), secret) as { sub: string }
      next()
    } catch {
      response.status(401).json({ error: 'invalid token' })
    }
  }
  const app = express()
  app.use(express.json())
  app.get('/api/auth/me', authenticate, async (request, response) => {
    const { rows } = await db.query<Record<string, unknown>>(
      'select id, version, created_at, updated_at, email, username, name, avatar_url, password_hash, role, disabled, email_verified_at, deleted_at from users where id = $1 and deleted_at is null limit 1',
      [request.user!.sub],
    )
    if (!rows[0]) return response.status(404).json({ error: 'not found' })
    const { password_hash: _hash, ...user } = rows[0]
    response.json(user)
  })
  app.get('/api/cylinders/:id', authenticate, async (request, response) => {
    const { rows } = await db.query('select * from cylinders where id = $1 limit 1', [request.params.id])
    if (!rows[0]) return response.status(404).json({ error: 'not found' })
    response.json(rows[0])
  })

  const userId = await firstId(db, 'select id from users where deleted_at is null limit 1', 'no live account in "users": run the app scenarios first')
  const cylinderId = await firstId(db, 'select id from cylinders limit 1', 'no cylinder: run the cylinders scenarios first (the cylinders server stocks a depot)')
  const accessToken = jwt.sign({ sub: userId }, secret, { expiresIn: 3600 })
  await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', resolve)))
  const { port } = server!.address() as AddressInfo
  printReady({ port, userId, cylinderId, accessToken, database: 'postgres' })
}

async function firstId(db: Pool, query: string, missing: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(query)
  if (!rows[0]) throw new Error(missing)
  return rows[0].id
}

start().catch((error: unknown) => failStartup(error, () => void pool?.end()))
