/**
 * `JSON.stringify(value)` for a plain JSON document, handed to `write` in pieces that join into exactly
 * that text: no piece longer than one value that is not grouped, or one group.
 *
 * Why: V8 builds a long result out of pieces and joins them (flattens the string) the first time it is
 * read, written or hashed, and a flat string over 128 KiB gets memory of its own, freshly mapped; on
 * this project's virtual machines touching fresh memory costs ~13 µs per 4 KiB page. Writing a state
 * document of 1,400 sessions (450 kB) made two such strings per commit (the text, then the text with its
 * digest), ~110 page faults. The writer copies the pieces into a buffer it keeps (backend.ts,
 * encodeState) as they come.
 *
 * Records and arrays with more than `groupSize` entries are serialized `groupSize` entries at a time
 * (as smaller records and arrays, whose braces are then dropped); everything else whole.
 */
export function stringifyTo(
  value: Readonly<Record<string, unknown>>,
  write: (text: string) => void,
  { groupSize = 64 } = {},
): void {
  let first = true
  for (const key of Object.keys(value)) {
    const entry = value[key]
    const keys = groupedKeys(entry, groupSize)
    const text = keys ? '' : JSON.stringify(entry)
    if (text === undefined) continue // as JSON.stringify: undefined, functions and symbols are left out
    write(`${first ? '{' : ','}${JSON.stringify(key)}:`)
    first = false
    if (!keys) write(text)
    else if (keys === ARRAY) writeGroupedArray(entry as readonly unknown[], groupSize, write)
    else
      writeGroupedRecord(entry as Readonly<Record<string, unknown>>, keys, groupSize, write, groupsOf(key, groupSize))
  }
  write(first ? '{}' : '}')
}

/** The pieces stringifyTo hands out, in order (tests). */
export function stringifyInParts(value: Readonly<Record<string, unknown>>, options?: { groupSize?: number }): string[] {
  const parts: string[] = []
  stringifyTo(value, (text) => parts.push(text), options)
  return parts
}

const ARRAY = Symbol('array')

/**
 * For an array or a record with more than `groupSize` entries that JSON.stringify serializes entry by
 * entry (no toJSON of its own, not a boxed primitive or another class): ARRAY, or the record's keys.
 */
function groupedKeys(value: unknown, groupSize: number): readonly string[] | typeof ARRAY | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined
  if (Array.isArray(value)) return value.length > groupSize ? ARRAY : undefined
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return undefined
  const keys = Object.keys(value)
  return keys.length > groupSize ? keys : undefined
}

function writeGroupedArray(items: readonly unknown[], groupSize: number, write: (text: string) => void): void {
  write('[')
  for (let i = 0; i < items.length; i += groupSize) {
    if (i > 0) write(',')
    write(JSON.stringify(items.slice(i, i + groupSize)).slice(1, -1))
  }
  write(']')
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

function writeGroupedRecord(
  record: Readonly<Record<string, unknown>>,
  keys: readonly string[],
  groupSize: number,
  write: (text: string) => void,
  cache: Group[],
): void {
  write('{')
  let wroteAny = false
  for (let i = 0, g = 0; i < keys.length; i += groupSize, g++) {
    const end = Math.min(keys.length, i + groupSize)
    let group = cache[g]
    if (!group || !sameGroup(group, keys, i, end, record)) cache[g] = group = serializeGroup(keys, i, end, record)
    if (!group.text) continue // every value in the group was one JSON.stringify leaves out
    if (wroteAny) write(',')
    write(group.text) // (the cached text, flat: no new string)
    wroteAny = true
  }
  cache.length = Math.ceil(keys.length / groupSize)
  write('}')
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
  const groupKeys = keys.slice(start, end)
  return {
    reusable,
    keys: groupKeys,
    values: groupKeys.map((k) => record[k]),
    text: JSON.stringify(group).slice(1, -1),
  }
}
