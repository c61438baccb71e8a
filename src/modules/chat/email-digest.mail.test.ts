import { describe, expect, it } from 'vitest'
import { digestTemplate } from './email-digest.mail.js'

const to = { name: 'Ann <admin>' }

describe('the digest e-mail', () => {
  it('takes one notification’s title as its subject, else the count', () => {
    expect(digestTemplate.subject({ items: [{ title: 'Ada mentioned you in #team', body: 'hi' }], url: 'https://chat.example' }, to)).toBe('Ada mentioned you in #team')
    expect(digestTemplate.subject({ items: [{ title: 'a', body: '' }, { title: 'b', body: '' }], url: 'https://chat.example' }, to)).toBe('2 unread notifications')
  })

  it('lists each notification in the text, bodies on one line, and links to the app', () => {
    const text = digestTemplate.text({ items: [{ title: 'Ada mentioned you', body: 'line one\n  line two' }, { title: 'New message from Bob', body: '' }], url: 'https://chat.example' }, to)
    expect(text).toContain('Hello Ann <admin>,')
    expect(text).toContain('(2 notifications)')
    expect(text).toContain('* Ada mentioned you\n  line one line two\n* New message from Bob\n')
    expect(text).toContain('Open them: https://chat.example')
  })

  it('escapes everything it puts in the HTML', () => {
    const html = digestTemplate.html!({ items: [{ title: '<b>Eve</b> mentioned you', body: 'a & "b" <script>' }], url: 'https://chat.example/?a=1&b=2' }, to)
    expect(html).toContain('Hello Ann &lt;admin&gt;')
    expect(html).toContain('<strong>&lt;b&gt;Eve&lt;/b&gt; mentioned you</strong><br>a &amp; &quot;b&quot; &lt;script&gt;')
    expect(html).toContain('href="https://chat.example/?a=1&amp;b=2"')
    expect(html).not.toContain('<script>')
  })
})
