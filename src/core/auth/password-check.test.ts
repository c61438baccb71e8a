import { describe, expect, it } from 'vitest'
import { createModuleAudit } from '../audit/module-audit.js'
import type { Db } from '../db/client.js'
import type { UserRow } from '../users/db/schema.js'
import { createPasswordCheck } from './password-check.js'
import { PasswordHasher, TEST_PARAMETERS } from './passwords.js'

const hasher = new PasswordHasher(TEST_PARAMETERS)

describe('ctx.passwords.verify', () => {
  it('is true only for the account’s own password, and false for a disabled, deleted or password-less account', async () => {
    const passwordHash = await hasher.hash('the right one')
    const rows: Record<string, Partial<UserRow>> = { active: { passwordHash, disabled: false }, disabled: { passwordHash, disabled: true }, none: { passwordHash: null, disabled: false } }
    const check = createPasswordCheck({ findById: async (id) => rows[id] as UserRow | undefined }, hasher)
    expect(await check.verify('active', 'the right one')).toBe(true)
    expect(await check.verify('active', 'the wrong one')).toBe(false)
    expect(await check.verify('disabled', 'the right one')).toBe(false)
    expect(await check.verify('none', 'the right one')).toBe(false)
    expect(await check.verify('deleted', 'the right one')).toBe(false)
  })
})

describe('ctx.audit.record', () => {
  it('refuses an action outside the module’s own prefix before writing anything', async () => {
    const audit = createModuleAudit('colorbook', {} as Db)
    await expect(audit.record({ action: 'user.deleted' })).rejects.toThrow('must start with "colorbook."')
    await expect(audit.record({ action: 'colorbook.' })).rejects.toThrow('must start with "colorbook."')
  })
})
