import { describe, expect, it } from 'vitest'
import { elfExecutable, image, peExecutable } from '../../../test/helpers/files.js'
import { sniffContentType } from './content-types.js'

describe('sniffContentType', () => {
  it('names images and documents by their magic numbers, whatever the name', async () => {
    expect(await sniffContentType(await image('webp', 4, 4), 'x.exe')).toEqual({ allowed: true, contentType: 'image/webp' })
    expect(await sniffContentType(Buffer.from('%PDF-1.7\n%âãÏÓ\n'), 'x.txt')).toEqual({ allowed: true, contentType: 'application/pdf' })
  })

  it('refuses executables and XML (SVG can carry script)', async () => {
    expect(await sniffContentType(elfExecutable(), 'a.png')).toEqual({ allowed: false, detected: 'application/x-elf' })
    expect(await sniffContentType(peExecutable(), 'a.png')).toEqual({ allowed: false, detected: 'application/x-msdownload' })
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    expect(await sniffContentType(svg, 'a.svg')).toEqual({ allowed: false, detected: 'application/xml' })
  })

  it('takes UTF-8 without control characters as text, CSV only by name', async () => {
    expect(await sniffContentType(Buffer.from('line one\r\n\tline two\n'), 'a.md')).toEqual({ allowed: true, contentType: 'text/plain' })
    expect(await sniffContentType(Buffer.from('a;b\n'), 'DATA.CSV')).toEqual({ allowed: true, contentType: 'text/csv' })
    // A multi-byte character cut by the end of the sample is still text.
    expect(await sniffContentType(Buffer.from('prix: 5 €').subarray(0, -1), 'a.txt')).toEqual({ allowed: true, contentType: 'text/plain' })
  })

  it('refuses binary without a known signature: NUL or control bytes, invalid UTF-8', async () => {
    expect(await sniffContentType(Buffer.from('text\0more'), 'a.txt')).toEqual({ allowed: false, detected: null })
    expect(await sniffContentType(Buffer.from([0x1b, 0x5b, 0x41]), 'a.txt')).toEqual({ allowed: false, detected: null })
    expect(await sniffContentType(Buffer.from([0x61, 0xff, 0x62]), 'a.txt')).toEqual({ allowed: false, detected: null })
  })
})
