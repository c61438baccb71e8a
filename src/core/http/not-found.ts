import type { FastifyInstance } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { AppError } from '../errors/app-error.js'

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * Unknown routes get 404 `NOT_FOUND`; a known path asked with another method gets 405 with an
 * `Allow` header. Fastify answers both with 404, so a shadow router remembers every path.
 */
export function installNotFound(app: FastifyInstance): void {
  const shadow = FindMyWay({ ignoreTrailingSlash: false })
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      if (METHODS.includes(method as HTTPMethod) && !shadow.hasRoute(method as HTTPMethod, route.url)) {
        shadow.on(method as HTTPMethod, route.url, () => {})
      }
    }
  })
  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = METHODS.filter((method) => shadow.find(method, path))
    if (allowed.length > 0) {
      throw new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}.`, { allowed }, { allow: allowed.join(', ') })
    }
    throw new AppError('NOT_FOUND', `No route matches ${request.method} ${path}.`)
  })
}
