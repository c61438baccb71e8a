import { describe, expect, it } from 'vitest'
import { runScript } from '../helpers/server-process.js'

// No database is opened for these: help is answered before any configuration is read.
const cli = (args: string[]) => runScript('src/cli.ts', args, {})

describe('cli usage', () => {
  it('prints the usage and exits 0 for help, --help and -h, also after a command', { timeout: 60_000 }, async () => {
    for (const args of [['help'], ['--help'], ['-h'], ['create-admin', '--help']]) {
      const result = await cli(args)
      expect(result.code, `${args.join(' ')}: ${result.output}`).toBe(0)
      expect(result.output).toContain('Usage: npm run cli -- <command>')
      expect(result.output).toMatch(/create-admin +Create an administrator/)
      // Why there is no --password, where people look for it.
      expect(result.output).toContain('there is no --password: on the command line a password shows in `ps` and in shell history')
    }
  })

  it('refuses an unknown command with exit code 2', { timeout: 30_000 }, async () => {
    const result = await cli(['create-amdin'])
    expect(result.code).toBe(2)
    expect(result.output).toContain('Unknown command "create-amdin".')
    expect(result.output).toContain('Usage: npm run cli -- <command>')
  })
})
