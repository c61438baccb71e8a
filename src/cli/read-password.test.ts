import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { PasswordMismatch, PromptCancelled, readPassword } from './read-password.js'

/** A fake terminal: keys are written to it; it records raw mode as a TTY would switch it. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, raw: false, setRawMode(mode: boolean) { input.raw = mode } })
  let shown = ''
  const output = new PassThrough()
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()))
  return { input, output, shown: () => shown }
}

const piped = (...chunks: string[]) => Readable.from(chunks.map((chunk) => Buffer.from(chunk)))

describe('readPassword, piped', () => {
  it('reads the first line, spaces kept, without its line ending', async () => {
    expect(await readPassword(piped('a sturdy', ' passphrase 42\n'), new PassThrough())).toBe('a sturdy passphrase 42')
    expect(await readPassword(piped('windows line\r\nsecond line\n'), new PassThrough())).toBe('windows line')
    expect(await readPassword(piped('no line break at the end'), new PassThrough())).toBe('no line break at the end')
  })

  it('answers an empty string for empty input, for the caller to refuse', async () => {
    expect(await readPassword(piped(), new PassThrough())).toBe('')
    expect(await readPassword(piped('\n'), new PassThrough())).toBe('')
  })
})

describe('readPassword, on a terminal', () => {
  it('asks twice without echoing what is typed, Backspace erasing, and leaves raw mode', async () => {
    const { input, output, shown } = terminal()
    const answer = readPassword(input, output)
    input.write('a sturdy passphrase 4x\u007f2\r')
    await Promise.resolve()
    input.write('a sturdy passphrase 42\r')
    expect(await answer).toBe('a sturdy passphrase 42')
    expect(shown()).not.toContain('sturdy')
    expect(shown()).toContain('Password (not shown): ')
    expect(input.raw).toBe(false)
  })

  it('takes both answers from one chunk, as when pasted', async () => {
    const { input, output } = terminal()
    const answer = readPassword(input, output)
    input.write('a sturdy passphrase 42\r\na sturdy passphrase 42\r')
    expect(await answer).toBe('a sturdy passphrase 42')
  })

  it('refuses two different passwords', async () => {
    const { input, output } = terminal()
    const answer = readPassword(input, output)
    input.write('a sturdy passphrase 42\r')
    await Promise.resolve()
    input.write('a sturdy passphrase 43\r')
    await expect(answer).rejects.toBeInstanceOf(PasswordMismatch)
  })

  it('is cancelled by Ctrl-C, and an empty line asks no more', async () => {
    const cancelled = terminal()
    const answer = readPassword(cancelled.input, cancelled.output)
    cancelled.input.write('half typ\u0003')
    await expect(answer).rejects.toBeInstanceOf(PromptCancelled)
    expect(cancelled.input.raw).toBe(false)

    const empty = terminal()
    const nothing = readPassword(empty.input, empty.output)
    empty.input.write('\r')
    expect(await nothing).toBe('')
    expect(empty.shown()).not.toContain('again')
  })
})
