// Reading compact JSON (as JSON.stringify writes it, no whitespace) straight from bytes, for the parts of
// a transcript line the usage fast path needs. Every function returns -1 (or undefined) on anything it
// does not expect; the caller then parses the line in full with JSON.parse, which has the last word.

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const ZERO = 48
const NINE = 57

/** Index just after the string whose opening quote is at `p`; -1 if it does not end before `end`. */
export function stringEnd(b: Uint8Array, p: number, end: number): number {
  for (let i = p + 1; i < end; i++) {
    const c = b[i]!
    if (c === QUOTE) return i + 1
    if (c === BACKSLASH) i++
  }
  return -1
}

/** Index just after the JSON value starting at `p` (compact JSON); -1 if it does not end before `end`. */
export function valueEnd(b: Uint8Array, p: number, end: number): number {
  const first = b[p]
  if (first === QUOTE) return stringEnd(b, p, end)
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0
    for (let i = p; i < end; i++) {
      const c = b[i]!
      if (c === QUOTE) {
        i = stringEnd(b, i, end) - 1
        if (i < 0) return -1
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1
    }
    return -1
  }
  // A number or a literal: up to the next delimiter.
  for (let i = p; i < end; i++) {
    const c = b[i]!
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) return i > p ? i : -1
  }
  return -1
}

/** A non-negative integer written as plain digits in [p, e); undefined for anything else. */
export function digitsAt(b: Uint8Array, p: number, e: number): number | undefined {
  if (e <= p || e - p > 15) return undefined
  let n = 0
  for (let i = p; i < e; i++) {
    const c = b[i]!
    if (c < ZERO || c > NINE) return undefined
    n = n * 10 + (c - ZERO)
  }
  return n
}

/** The string value whose quotes are at `p` and `e - 1`, decoded exactly as JSON.parse would. */
export function stringAt(b: Buffer, p: number, e: number): string {
  for (let i = p + 1; i < e - 1; i++) if (b[i] === BACKSLASH) return JSON.parse(b.toString('utf8', p, e)) as string
  return b.toString('utf8', p + 1, e - 1)
}

/** True when the bytes [p, e) are exactly `expected`. */
export function bytesAre(b: Uint8Array, p: number, e: number, expected: Uint8Array): boolean {
  if (e - p !== expected.length) return false
  for (let i = 0; i < expected.length; i++) if (b[p + i] !== expected[i]) return false
  return true
}
