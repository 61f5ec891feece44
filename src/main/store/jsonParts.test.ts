import { describe, expect, it } from 'vitest'
import { stringifyInParts } from './jsonParts'
import { digestOf, encodeState, serializeState } from './backend'

/** A record of `n` session-like entries, keyed by id, some with text outside ASCII. */
function sessions(n: number): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
    record[id] = { id, cwd: i % 7 ? `/home/dev/p${i}` : `/home/dév/projet-${i}/😀`, pid: i % 3 ? null : i, n: i / 7 }
  }
  return record
}

describe('stringifyInParts', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['an empty object', {}],
    ['small values only', { version: 1, revision: 2, commit: 'abc', flag: true, none: null, text: 'a"b\\c\n' }],
    ['a large record and a large array', { version: 1, sessions: sessions(300), ids: Object.keys(sessions(200)) }],
    [
      'values JSON.stringify leaves out or changes',
      {
        skipped: undefined,
        fn: () => 1,
        when: new Date(0),
        arr: Array.from({ length: 150 }, (_, i) => (i % 10 === 0 ? undefined : i % 10 === 1 ? () => i : i)),
        rec: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i < 70 ? undefined : i])),
        boxed: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`d${i}`, new Date(i)])),
      },
    ],
    [
      'keys a plain object orders or treats apart',
      {
        rec: Object.fromEntries([
          ...Array.from({ length: 100 }, (_, i) => [`${200 - i}`, i]),
          ['__proto__', { own: true }],
          ...Array.from({ length: 100 }, (_, i) => [`name-${i}`, i]),
        ]),
        // A group whose every value is left out, between groups that are not.
        gaps: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`g${i}`, i >= 64 && i < 128 ? undefined : i])),
      },
    ],
    ['an object with a toJSON of its own', { big: Object.assign(sessions(100), { toJSON: () => 'mine' }) }],
  ]
  // JSON.parse makes `__proto__` an own key, as a state file read from disk would.
  cases[4]![1] = JSON.parse(JSON.stringify(cases[4]![1])) as Record<string, unknown>

  for (const [name, value] of cases)
    it(`joins into exactly JSON.stringify's text: ${name}`, () => {
      for (const groupSize of [1, 3, 64])
        expect(stringifyInParts(value, { groupSize }).join('')).toBe(JSON.stringify(value))
    })

  it('hands out no piece longer than a group of entries', () => {
    const value = { version: 1, sessions: sessions(2000), index: Object.keys(sessions(2000)) }
    const parts = stringifyInParts(value, { groupSize: 64 })
    expect(parts.join('').length).toBeGreaterThan(200_000)
    // 64 of these sessions take at most 64 × 145 characters.
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(64 * 145)
  })
})

describe('stringifyInParts, again on a record that changed', () => {
  const text = (record: Record<string, unknown>) => stringifyInParts({ record }, { groupSize: 3 }).join('')
  const entry = (n: number) => Object.freeze({ n, name: `entry ${n}` })

  it('reuses nothing it cannot vouch for: every change shows, wherever it is', () => {
    const record: Record<string, unknown> = {}
    for (let n = 0; n < 10; n++) record[`k${n}`] = entry(n)
    const check = () => expect(text(record)).toBe(JSON.stringify({ record }))
    check()
    check() // the same entries: the groups' texts reused
    record.k4 = entry(40) // an entry replaced in a middle group
    check()
    delete record.k1 // every later entry moves to another group
    check()
    record.k10 = entry(10) // appended
    check()
    // An entry not frozen is never taken as unchanged, even the same object changed in place...
    const open = { n: 5 }
    record.k5 = open
    check()
    open.n = 55
    check()
    // ...nor once frozen after its text was made.
    open.n = 555
    Object.freeze(open)
    check()
  })
})

describe('encodeState', () => {
  it('writes the document with the digest of its text after the head, in UTF-8, outside ASCII too', () => {
    const doc = { version: 1, revision: 7, commit: 'c0ffee', sessions: sessions(500), note: 'fin ✓' }
    const text = JSON.stringify(doc)
    const head = '{"version":1,"revision":7,"commit":"c0ffee"'
    const expected = `${head},"digest":"${digestOf('schema-x', text)}"${text.slice(head.length)}`
    expect(Buffer.from(encodeState(doc, 'schema-x').bytes).equals(Buffer.from(expected, 'utf8'))).toBe(true)
    expect(serializeState(doc, 'schema-x')).toBe(expected)
    // The buffer is reused: a smaller document after a larger one is written whole and alone.
    const small = { version: 1, revision: 8, commit: 'abc', sessions: {} }
    const smallText = JSON.stringify(small)
    expect(serializeState(small, 'schema-x')).toBe(
      `{"version":1,"revision":8,"commit":"abc","digest":"${digestOf('schema-x', smallText)}"${smallText.slice(smallText.indexOf(',"sessions"'))}`,
    )
  })

  it('writes a document without the head as plain JSON, with no digest', () => {
    const doc = { name: 'x', sessions: sessions(200) }
    expect(serializeState(doc, 'schema-x')).toBe(JSON.stringify(doc))
  })
})
