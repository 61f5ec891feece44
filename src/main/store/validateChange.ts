import type { z } from 'zod'
import {
  StateDocumentSchema,
  StateReferencesSchema,
  StateStructureSchema,
  type StateDocument,
} from '../../shared/schemas/state'

/** The document's records that grow with use: only their entries that changed are run through the schema. */
const RECORDS = ['sessions', 'sessionIndex', 'assignments'] as const

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
  if (!isPlainRecord(a) || !isPlainRecord(b)) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

/**
 * Validates `draft`, a copy of the valid document `base` that transactions changed, as
 * `StateDocumentSchema.safeParse(draft)` would, with the same result and the same issues, but running
 * only the entries of the big records (sessions, their index, assignments) that differ from `base`
 * through the schema: the others were validated when `base` was (on load, or by the writer whose digest
 * matched). The structure of everything else and every cross-reference are checked in full.
 */
export function validateChange(base: StateDocument, draft: StateDocument): z.ZodSafeParseResult<StateDocument> {
  const probe: Entries = { ...draft }
  for (const key of RECORDS) {
    const now: unknown = draft[key]
    // Not a record any more: the schema judges it as it is.
    if (!isPlainRecord(now)) return StateDocumentSchema.safeParse(draft)
    const before = base[key] as Entries
    const changed: Entries = {}
    for (const id of Object.keys(now))
      if (!Object.hasOwn(before, id) || !sameEntry(now[id], before[id])) changed[id] = now[id]
    probe[key] = changed
  }
  const structure = StateStructureSchema.safeParse(probe)
  if (!structure.success) return structure as z.ZodSafeParseResult<StateDocument>
  // The parsed changed entries (unknown keys dropped, defaults filled) over the unchanged ones.
  const doc = { ...structure.data } as StateDocument
  for (const key of RECORDS)
    (doc as unknown as Record<string, Entries>)[key] = {
      ...(draft[key] as Entries),
      ...(structure.data[key] as Entries),
    }
  const references = StateReferencesSchema.safeParse(doc)
  return references.success ? { success: true, data: doc } : references
}
