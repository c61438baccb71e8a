import { describe, expect, it } from 'vitest'
import { startupBanner } from './startup-banner.js'

const embedded = { url: 'http://127.0.0.1:3000', dataDir: '/srv/plinth/data', databaseUrl: undefined, adminConsole: true }

describe('startupBanner', () => {
  it('names the URL, /docs and the embedded database, and how to create the missing administrator', () => {
    const banner = startupBanner({ ...embedded, adminExists: false })
    expect(banner).toContain('http://127.0.0.1:3000')
    expect(banner).toContain('http://127.0.0.1:3000/docs')
    expect(banner).toContain('embedded PostgreSQL in /srv/plinth/data/postgres')
    expect(banner).toContain('npm run cli -- create-admin --email <address>')
    expect(banner).toContain('ADMIN_EMAIL and ADMIN_PASSWORD')
    expect(banner).not.toContain('\n')
  })

  it('names the admin console at /admin, unless ADMIN_CONSOLE=false turned it off', () => {
    expect(startupBanner({ ...embedded, adminExists: true })).toContain('admin console: http://127.0.0.1:3000/admin')
    expect(startupBanner({ ...embedded, adminExists: true, adminConsole: false })).not.toContain('/admin')
  })

  it('says nothing about creating an administrator when one exists', () => {
    const banner = startupBanner({ ...embedded, adminExists: true })
    expect(banner).not.toContain('create-admin')
    expect(banner).not.toContain('ADMIN_EMAIL')
  })

  it('shows the DATABASE_URL host and database, never its user, password or parameters', () => {
    const banner = startupBanner({ ...embedded, databaseUrl: 'postgres://plinth:s3cr3t-pw@db.internal:6543/plinth_prod?sslmode=require&password=other-pw', adminExists: true })
    expect(banner).toContain('PostgreSQL at db.internal:6543/plinth_prod')
    expect(banner).not.toContain('embedded')
    for (const secret of ['s3cr3t-pw', 'other-pw', 'plinth:', 'sslmode']) expect(banner).not.toContain(secret)
  })

  it('shows nothing of a DATABASE_URL it cannot parse as a URL', () => {
    const banner = startupBanner({ ...embedded, databaseUrl: 'host=db password=s3cr3t-pw', adminExists: false })
    expect(banner).toContain('PostgreSQL from DATABASE_URL')
    expect(banner).not.toContain('s3cr3t-pw')
  })
})
