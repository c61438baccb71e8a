import type { Config } from './index.js'

/** Addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
}

/**
 * Settings that start but deserve a word at start-up. An unset NODE_ENV means development: secrets
 * generated on disk and, without SMTP_URL, e-mailed links (tokens) in the log. That is the
 * developer's laptop; on an address others can reach it is most likely a deployment that forgot it.
 */
export function startupWarnings(config: Pick<Config, 'env' | 'envSet' | 'host'>): string[] {
  const warnings: string[] = []
  if (!config.envSet && !isLoopback(config.host)) {
    warnings.push(
      `NODE_ENV is not set, so Plinth runs as development (generated secrets, e-mailed links in the log without SMTP_URL) while listening on ${config.host}, which other machines may reach: set NODE_ENV=production for a deployment, or HOST=127.0.0.1 to develop`,
    )
  }
  return warnings
}
