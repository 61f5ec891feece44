/**
 * A shallow copy of a record, one key at a time: a few times faster than a spread or Object.assign on a
 * record JSON.parse just made (those copy its hundreds of keys as fast properties, building a hidden
 * class per key; this one turns into a dictionary early).
 */
export function copyRecord(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  const keys = Object.keys(record)
  for (let i = 0; i < keys.length; i++) copy[keys[i]!] = record[keys[i]!]
  return copy
}
