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

/** Equal as JSON, however deep (for the document's smaller parts: settings, accounts, rules, …). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  if (Array.isArray(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every((k) => Object.hasOwn(b, k) && sameJson((a as Entries)[k], (b as Entries)[k]))
}

/** The elements `now` added at the end of `before` (both arrays of strings), or undefined if it did anything else. */
function appendedTo(before: unknown, now: unknown): string[] | undefined {
  if (!Array.isArray(before) || !Array.isArray(now) || now.length < before.length) return undefined
  for (let i = 0; i < before.length; i++) if (typeof before[i] !== 'string' || now[i] !== before[i]) return undefined
  return now.slice(before.length) as string[]
}

const FIELDS = StateStructureSchema.shape

/**
 * Validates `draft`, a copy of the valid document `base` that transactions changed, as
 * `StateDocumentSchema.safeParse(draft)` would, with the same result (and, on failure, the same issues:
 * the whole schema then describes them), but running through the schema only what differs from `base`:
 * the fields that changed, and of the big records (sessions, their index, assignments) only the entries
 * that changed. The rest was validated when `base` was (on load, or by the writer whose digest matched).
 * Every cross-reference is checked in full.
 */
export function validateChange(base: StateDocument, draft: StateDocument): z.ZodSafeParseResult<StateDocument> {
  // (On success, the draft's three records become the result's: the draft is not to be used after.)
  const whole = () => StateDocumentSchema.safeParse(draft)
  const doc: Entries = {}
  for (const [key, schema] of Object.entries(FIELDS)) {
    const now: unknown = (draft as unknown as Entries)[key]
    const before: unknown = (base as unknown as Entries)[key]
    if ((RECORDS as readonly string[]).includes(key)) {
      // Not a record any more: the schema judges it as it is.
      if (!isPlainRecord(now) || !isPlainRecord(before)) return whole()
      const changed: Entries = {}
      for (const id of Object.keys(now)) {
        if (Object.hasOwn(before, id) && sameEntry(now[id], before[id])) continue
        changed[id] = (APPEND_ONLY.has(key) && appendedTo(before[id], now[id])) || now[id]
      }
      const parsed = schema.safeParse(changed)
      if (!parsed.success) return whole()
      // The parsed changed entries (unknown keys dropped, defaults filled) replace the draft's own;
      // index entries stay as they are (valid strings parse to themselves; only their tail was parsed).
      if (!APPEND_ONLY.has(key)) Object.assign(now, parsed.data)
      doc[key] = now
    } else if (sameJson(now, before)) doc[key] = now
    else {
      const parsed = schema.safeParse(now)
      if (!parsed.success) return whole()
      doc[key] = parsed.data
    }
  }
  const references = StateReferencesSchema.safeParse(doc)
  return references.success ? { success: true, data: doc as StateDocument } : references
}
