import type { z } from 'zod'
import {
  StateDocumentSchema,
  StateReferencesSchema,
  StateStructureSchema,
  type StateDocument,
} from '../../shared/schemas/state'

/** The document's records that grow with use: only their entries that changed are run through the schema. */
const RECORDS = ['sessions', 'sessionIndex', 'assignments'] as const
/**
 * Records whose entries are arrays of strings with no constraint on the array as a whole (an account's
 * session index): an entry that only had elements appended is checked on the new elements alone.
 */
const APPEND_ONLY: ReadonlySet<string> = new Set(['sessionIndex'])

type Entries = Record<string, unknown>

const isPlainRecord = (v: unknown): v is Entries => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Equal as stored: the same primitive, arrays of the same primitives, or records of the same
 * primitives. Anything deeper compares by reference, so a nested value is never taken as unchanged
 * unless it is the very same object.
 */
function sameEntry(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i])
  if (!isPlainRecord(a) || !isPlainRecord(b) || Array.isArray(b)) return false
  let keys = 0
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue
    if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false
    keys++
  }
  for (const k in b) if (Object.hasOwn(b, k)) keys--
  return keys === 0
}

/** The elements `now` added at the end of `before` (both arrays of strings), or undefined if it did anything else. */
function appendedTo(before: unknown, now: unknown): string[] | undefined {
  if (!Array.isArray(before) || !Array.isArray(now) || now.length < before.length) return undefined
  for (let i = 0; i < before.length; i++) if (typeof before[i] !== 'string' || now[i] !== before[i]) return undefined
  return now.slice(before.length) as string[]
}

/**
 * Validates `draft`, a copy of the valid document `base` that transactions changed, as
 * `StateDocumentSchema.safeParse(draft)` would, with the same result (and, on failure, the same issues:
 * the whole schema then describes them), but running only the entries of the big records (sessions,
 * their index, assignments) that differ from `base` through the schema: the others were validated
 * when `base` was (on load, or by the writer whose digest matched). The structure of everything else and
 * every cross-reference are checked in full.
 */
export function validateChange(base: StateDocument, draft: StateDocument): z.ZodSafeParseResult<StateDocument> {
  // (On success, the draft's three records become the result's: the draft is not to be used after.)
  const probe: Entries = { ...draft }
  for (const key of RECORDS) {
    const now: unknown = draft[key]
    // Not a record any more: the schema judges it as it is.
    if (!isPlainRecord(now)) return StateDocumentSchema.safeParse(draft)
    const before = base[key] as Entries
    const changed: Entries = {}
    for (const id of Object.keys(now)) {
      if (Object.hasOwn(before, id) && sameEntry(now[id], before[id])) continue
      changed[id] = (APPEND_ONLY.has(key) && appendedTo(before[id], now[id])) || now[id]
    }
    probe[key] = changed
  }
  const structure = StateStructureSchema.safeParse(probe)
  if (!structure.success) return StateDocumentSchema.safeParse(draft)
  // The parsed changed entries (unknown keys dropped, defaults filled) replace the draft's own (the
  // draft is a copy nobody else holds); index entries stay as they are (valid strings parse to
  // themselves, and only their tail was parsed).
  const doc = { ...structure.data } as StateDocument
  for (const key of RECORDS) {
    const record = draft[key] as Entries
    if (!APPEND_ONLY.has(key)) Object.assign(record, structure.data[key])
    ;(doc as unknown as Record<string, Entries>)[key] = record
  }
  const references = StateReferencesSchema.safeParse(doc)
  return references.success ? { success: true, data: doc } : references
}
