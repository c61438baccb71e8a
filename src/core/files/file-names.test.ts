import { describe, expect, it } from 'vitest'
import { contentDisposition, downloadName, sanitizeFileName } from './file-names.js'

describe('sanitizeFileName', () => {
  it.each([
    ['photo.png', 'photo.png'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\ada\\report.pdf', 'report.pdf'],
    ['\u202Egnp.exe', 'gnp.exe'],
    ['bell\u0007.txt', 'bell.txt'],
    ['a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['  spaced \t name .txt  ', 'spaced name .txt'],
    ['trailing dots...', 'trailing dots'],
    ['..', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['e\u0301te\u0301.txt', 'été.txt'],
  ])('%j → %j', (raw, clean) => {
    expect(sanitizeFileName(raw)).toBe(clean)
  })

  it('keeps the extension when it shortens a long name to 200 characters', () => {
    const name = sanitizeFileName(`${'n'.repeat(300)}.docx`)
    expect([...name]).toHaveLength(200)
    expect(name.endsWith('n.docx')).toBe(true)
  })
})

describe('downloadName', () => {
  it('appends the real extension when the name hides the type', () => {
    expect(downloadName('page.html', 'text/plain')).toBe('page.html.txt')
    expect(downloadName('invoice', 'application/pdf')).toBe('invoice.pdf')
    expect(downloadName('photo.JPG', 'image/jpeg')).toBe('photo.JPG')
    expect(downloadName('setup.exe', 'image/png')).toBe('setup.exe.png')
  })
})

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact name per RFC 6266/5987', () => {
    expect(contentDisposition('attachment', 'naïve "quote".txt')).toBe(`attachment; filename="na_ve _quote_.txt"; filename*=UTF-8''na%C3%AFve%20%22quote%22.txt`)
    expect(contentDisposition('inline', "it's (1).png")).toBe(`inline; filename="it's (1).png"; filename*=UTF-8''it%27s%20%281%29.png`)
  })
})
