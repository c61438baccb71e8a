/** Ctrl-C at the password prompt. */
export class PromptCancelled extends Error {
  constructor() {
    super('cancelled.')
  }
}

/** The two passwords typed at the prompt differ. */
export class PasswordMismatch extends Error {
  constructor() {
    super('The two passwords typed differ; nothing was changed.')
  }
}

/** What the prompt needs of a terminal's standard input (process.stdin when it is a TTY). */
export interface TerminalInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?(mode: boolean): unknown
}

/**
 * The password from standard input, never from the command line (where `ps` and shell history show
 * it). On a terminal: typed twice at a prompt on `output`, without echo. Piped: the first line, without
 * its line ending. An empty answer is returned as '' for the caller to refuse.
 */
export async function readPassword(input: TerminalInput, output: NodeJS.WritableStream): Promise<string> {
  if (!input.isTTY || !input.setRawMode) return firstLine(input)
  // Keys typed (or pasted) past the first Enter belong to the second prompt.
  const ahead = { keys: '' }
  const password = await promptHidden(input, output, 'Password (not shown): ', ahead)
  if (!password) return ''
  if ((await promptHidden(input, output, 'The same password again: ', ahead)) !== password) throw new PasswordMismatch()
  return password
}

/** Reads up to the first line break (or the end), then stops reading. */
export function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const finish = (): void => {
      input.off('data', onData)
      input.off('end', finish)
      input.off('error', reject)
      input.pause()
      const text = Buffer.concat(chunks).toString('utf8')
      const end = text.indexOf('\n')
      resolve((end === -1 ? text : text.slice(0, end)).replace(/\r$/, ''))
    }
    const onData = (chunk: Buffer | string): void => {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      if (chunks[chunks.length - 1]!.includes(0x0a)) finish()
    }
    input.on('data', onData)
    input.once('end', finish)
    input.once('error', reject)
    input.resume()
  })
}

/** One line typed in raw mode, so nothing is echoed; Enter ends it, Backspace erases, Ctrl-C cancels. */
function promptHidden(input: TerminalInput, output: NodeJS.WritableStream, prompt: string, ahead: { keys: string }): Promise<string> {
  output.write(prompt)
  input.setRawMode!(true)
  input.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let typed: string[] = []
    const finish = (settle: () => void): void => {
      input.off('data', onData)
      input.setRawMode!(false)
      input.pause()
      output.write('\n')
      settle()
    }
    const onData = (chunk: string): void => {
      const chars = [...chunk]
      for (const [index, char] of chars.entries()) {
        if (char === '\r' || char === '\n') {
          // \r\n is one Enter.
          ahead.keys = chars.slice(char === '\r' && chars[index + 1] === '\n' ? index + 2 : index + 1).join('')
          return finish(() => resolve(typed.join('')))
        }
        if (char === '\u0003') return finish(() => reject(new PromptCancelled()))
        if (char === '\u0004' && typed.length === 0) return finish(() => resolve(''))
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1)
        // Other control characters (arrows, Ctrl-D mid-line) are not part of a password.
        else if (char >= ' ') typed.push(char)
      }
    }
    input.on('data', onData)
    input.resume()
    const early = ahead.keys
    ahead.keys = ''
    if (early) onData(early)
  })
}
