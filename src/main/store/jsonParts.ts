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
    else addGroupedRecord(entry as Readonly<Record<string, unknown>>, groupSize, add, groupsOf(key, groupSize))
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

/** A group of a record's entries as last serialized: its keys, its values and their text. */
interface Group {
  readonly keys: readonly string[]
  readonly values: readonly unknown[]
  readonly text: string
  /** Every value was frozen (or not an object) when the text was made: the same values make the same text. */
  readonly reusable: boolean
}

/**
 * The groups last serialized for each top-level key (and group size). A state document's records keep
 * their entries from one commit to the next (frozen and shared, replaced when changed) and grow at the
 * end, so all but the last group or two are serialized as before: with 800 sessions, 13 groups of which
 * 12 were unchanged. Reusing a group's text takes the same keys and the very same values (identity, not
 * equality), all of them frozen already when the text was made; a frozen value is taken to be immutable
 * all the way down, as the state document's entries are (flat records, arrays of ids).
 */
const serialized = new Map<string, Group[]>()
const groupsOf = (key: string, groupSize: number) => {
  const name = `${groupSize}:${key}`
  let groups = serialized.get(name)
  if (!groups) serialized.set(name, (groups = []))
  return groups
}

function addGroupedRecord(
  record: Readonly<Record<string, unknown>>,
  groupSize: number,
  add: (text: string) => void,
  cache: Group[],
): void {
  const keys = Object.keys(record)
  add('{')
  let wroteAny = false
  for (let i = 0, g = 0; i < keys.length; i += groupSize, g++) {
    const end = Math.min(keys.length, i + groupSize)
    let group = cache[g]
    if (!group || !sameGroup(group, keys, i, end, record)) cache[g] = group = serializeGroup(keys, i, end, record)
    if (!group.text) continue // every value in the group was one JSON.stringify leaves out
    add(`${wroteAny ? ',' : ''}${group.text}`)
    wroteAny = true
  }
  cache.length = Math.ceil(keys.length / groupSize)
  add('}')
}

function sameGroup(
  group: Group,
  keys: readonly string[],
  start: number,
  end: number,
  record: Readonly<Record<string, unknown>>,
): boolean {
  if (!group.reusable || group.keys.length !== end - start) return false
  for (let k = start; k < end; k++)
    if (group.keys[k - start] !== keys[k] || group.values[k - start] !== record[keys[k]!]) return false
  return true
}

function serializeGroup(
  keys: readonly string[],
  start: number,
  end: number,
  record: Readonly<Record<string, unknown>>,
): Group {
  // No prototype: a key named __proto__ is then an entry like any other, as in the record.
  const group = Object.create(null) as Record<string, unknown>
  let reusable = true
  for (let k = start; k < end; k++) {
    const value = (group[keys[k]!] = record[keys[k]!])
    if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) reusable = false
  }
  return {
    reusable,
    keys: keys.slice(start, end),
    values: keys.slice(start, end).map((k) => record[k]),
    text: JSON.stringify(group).slice(1, -1),
  }
}
