/**
 * `JSON.stringify(value)` for a plain JSON document, as a list of strings that join into exactly that
 * text, none longer than `partChars` unless a single piece is (a value not grouped, or one group).
 *
 * Why: V8 builds a long result out of pieces and joins them (flattens the string) the first time it is
 * read, written or hashed, and a flat string over 128 KiB gets memory of its own, freshly mapped; on
 * this project's virtual machines touching fresh memory costs ~13 µs per 4 KiB page. Writing a state
 * document of 1,400 sessions (450 kB) made two such strings per commit (the text, then the text with its
 * digest), ~110 page faults. Parts of a few tens of kB are made in memory V8 reuses; the writer copies
 * them into a buffer it keeps (backend.ts, encodeState).
 *
 * Records and arrays with more than `groupSize` entries are serialized `groupSize` entries at a time
 * (as smaller records and arrays, whose braces are then dropped); everything else whole.
 */
export function stringifyInParts(
  value: Readonly<Record<string, unknown>>,
  { groupSize = 64, partChars = 32 * 1024 } = {},
): string[] {
  const parts: string[] = []
  let current = ''
  const add = (text: string) => {
    if (current && current.length + text.length > partChars) {
      parts.push(current)
      current = ''
    }
    current += text
  }
  let first = true
  for (const key of Object.keys(value)) {
    const entry = value[key]
    const grouped = groupable(entry, groupSize)
    const text = grouped ? '' : JSON.stringify(entry)
    if (text === undefined) continue // as JSON.stringify: undefined, functions and symbols are left out
    add(`${first ? '{' : ','}${JSON.stringify(key)}:`)
    first = false
    if (!grouped) add(text)
    else if (Array.isArray(entry)) addGroupedArray(entry, groupSize, add)
    else addGroupedRecord(entry as Readonly<Record<string, unknown>>, groupSize, add)
  }
  add(first ? '{}' : '}')
  if (current) parts.push(current)
  return parts
}

/**
 * An array or a record with more than `groupSize` entries that JSON.stringify serializes entry by entry
 * (no toJSON of its own, not a boxed primitive or another class).
 */
function groupable(value: unknown, groupSize: number): boolean {
  if (value === null || typeof value !== 'object') return false
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false
  if (Array.isArray(value)) return value.length > groupSize
  const proto = Object.getPrototypeOf(value) as unknown
  return (proto === Object.prototype || proto === null) && Object.keys(value).length > groupSize
}

function addGroupedArray(items: readonly unknown[], groupSize: number, add: (text: string) => void): void {
  add('[')
  for (let i = 0; i < items.length; i += groupSize) {
    const inner = JSON.stringify(items.slice(i, i + groupSize))
    add(`${i === 0 ? '' : ','}${inner.slice(1, -1)}`)
  }
  add(']')
}

function addGroupedRecord(
  record: Readonly<Record<string, unknown>>,
  groupSize: number,
  add: (text: string) => void,
): void {
  const keys = Object.keys(record)
  add('{')
  let wroteAny = false
  for (let i = 0; i < keys.length; i += groupSize) {
    // No prototype: a key named __proto__ is then an entry like any other, as in the record.
    const group = Object.create(null) as Record<string, unknown>
    const end = Math.min(keys.length, i + groupSize)
    for (let k = i; k < end; k++) group[keys[k]!] = record[keys[k]!]
    const inner = JSON.stringify(group).slice(1, -1)
    if (!inner) continue // every value in the group was one JSON.stringify leaves out
    add(`${wroteAny ? ',' : ''}${inner}`)
    wroteAny = true
  }
  add('}')
}
