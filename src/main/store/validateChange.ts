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

/** Equal as JSON, however deep (written to allocate nothing: it runs over every session of every commit). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  let keys = 0
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue
    if (!Object.hasOwn(b, k) || !sameJson((a as Entries)[k], (b as Entries)[k])) return false
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

const FIELDS = StateStructureSchema.shape

/**
 * The entries of `now` that are new or differ from `before`'s. With `grown` (an append-only record), an
 * entry that only had elements appended stands for those elements, which are noted in `grown`.
 *
 * This loop and lostAny's are functions of their own for the optimizing compiler's sake: written inside
 * validateChange, they made it hot enough to be optimized whole in any process that commits a dozen
 * times, which took V8 40 to 75 ms of CPU on a background thread (`node --trace-opt`), in every such
 * process, while the machine's two cores were busy with the commits themselves. Apart, they compile in a
 * few ms each and validateChange, run once per commit, is never optimized.
 */
function changedEntries(now: Entries, before: Entries, grown: Map<string, string[]> | undefined): Entries {
  const changed: Entries = {}
  const ids = Object.keys(now)
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    if (Object.hasOwn(before, id) && sameJson(now[id], before[id])) continue
    const appended = grown ? appendedTo(before[id], now[id]) : undefined
    if (appended) grown!.set(id, appended)
    changed[id] = appended ?? now[id]
  }
  return changed
}

/** True when `before` has an entry `now` lacks. */
function lostAny(before: Entries, now: Entries): boolean {
  for (const id in before) if (Object.hasOwn(before, id) && !Object.hasOwn(now, id)) return true
  return false
}

/** The ids of the entries `before` has and `now` lacks (run only when lostAny found one). */
function lostIds(before: Entries, now: Entries): string[] {
  return Object.keys(before).filter((id) => !Object.hasOwn(now, id))
}

/**
 * Validates `draft`, a copy of the valid document `base` that transactions changed, as
 * `StateDocumentSchema.safeParse(draft)` would, with the same result (and, on failure, the same issues:
 * the whole schema then describes them), but running through the schema only what differs from `base`:
 * the fields that changed, and of the big records (sessions, their index, assignments) only the entries
 * that changed. The rest was validated when `base` was (on load, or by the writer whose digest matched).
 * Every cross-reference is checked in full.
 */
export function validateChange(
  base: StateDocument,
  draft: StateDocument,
  /**
   * Set to whether anything differs from `base`, and what (on success; left alone when the whole schema
   * judged).
   */
  report?: ChangeReport,
): z.ZodSafeParseResult<StateDocument> {
  // (On success, the draft's three records become the result's: the draft is not to be used after.)
  const whole = () => StateDocumentSchema.safeParse(draft)
  const doc: Entries = {}
  const change: Change = { fields: new Set(), entries: {}, lost: {}, grown: new Map() }
  for (const [key, schema] of Object.entries(FIELDS)) {
    const now: unknown = (draft as unknown as Entries)[key]
    const before: unknown = (base as unknown as Entries)[key]
    if ((RECORDS as readonly string[]).includes(key)) {
      // Not a record any more: the schema judges it as it is.
      if (!isPlainRecord(now) || !isPlainRecord(before)) return whole()
      const changed = changedEntries(now, before, APPEND_ONLY.has(key) ? change.grown : undefined)
      change.entries[key] = Object.keys(changed)
      if (lostAny(before, now)) change.lost[key] = lostIds(before, now)
      const parsed = schema.safeParse(changed)
      if (!parsed.success) return whole()
      // The parsed changed entries (unknown keys dropped, defaults filled) replace the draft's own;
      // index entries stay as they are (valid strings parse to themselves; only their tail was parsed).
      if (!APPEND_ONLY.has(key)) Object.assign(now, parsed.data)
      doc[key] = now
    } else if (sameJson(now, before)) doc[key] = now
    else {
      change.fields.add(key)
      const parsed = schema.safeParse(now)
      if (!parsed.success) return whole()
      doc[key] = parsed.data
    }
  }
  const valid = doc as StateDocument
  if (report) {
    report.changed =
      change.fields.size > 0 || lostSome(change) || Object.values(change.entries).some((ids) => ids.length > 0)
    report.change = change
  }
  if (referencesStillHold(base, valid, change)) return { success: true, data: valid }
  const references = StateReferencesSchema.safeParse(valid)
  return references.success ? { success: true, data: valid } : references
}

/** Some record lost an entry. */
const lostSome = (change: Change) => Object.keys(change.lost).length > 0

export interface ChangeReport {
  changed: boolean
  change?: Change
}

/** What differs between the base and the new document (see validateChange). */
export interface Change {
  /** Fields other than the three records that changed. */
  readonly fields: Set<string>
  /** Per record, the ids of its entries that are new or changed. */
  readonly entries: Record<string, string[]>
  /** Per record that lost entries, their ids (none for a record that lost none). */
  readonly lost: Record<string, string[]>
  /** Session index entries that only grew: account id → the ids added at the end. */
  readonly grown: Map<string, string[]>
}

/**
 * True when the new document's cross-references certainly hold, judged from what changed in a base
 * whose references held: new sessions of existing accounts appended to their index, sessions changed
 * without moving, assignments to existing accounts. Anything else (accounts, rules or the preferred
 * account changed, an entry removed, a session moved, an index rewritten) answers false, and the
 * whole check runs (it also words the issues).
 */
function referencesStillHold(base: StateDocument, doc: StateDocument, change: Change): boolean {
  if (lostSome(change) || change.fields.has('rules') || change.fields.has('preferredAccountId')) return false
  if (change.fields.has('accounts') && !sameAccountsStillValid(base, doc)) return false
  const accountIds = new Set(doc.accounts.map((a) => a.id))
  for (const accountId of change.entries.sessionIndex ?? []) {
    const added = change.grown.get(accountId)
    if (!added) return false // a new or rewritten index entry
    const listed = new Set(base.sessionIndex[accountId])
    for (const id of added) {
      if (listed.has(id) || doc.sessions[id]?.accountId !== accountId) return false
      listed.add(id)
    }
  }
  for (const id of change.entries.sessions ?? []) {
    const session = doc.sessions[id]!
    if (session.id !== id || !accountIds.has(session.accountId)) return false
    const before = base.sessions[id]
    if (before ? before.accountId !== session.accountId : !change.grown.get(session.accountId)?.includes(id))
      return false
  }
  for (const folder of change.entries.assignments ?? [])
    if (!accountIds.has(doc.assignments[folder]!.accountId)) return false
  return true
}

/**
 * The same accounts, in the same order, only their bookkeeping changed (an allocation counts itself on
 * its account): and still no two share a name or a folder, and custom plans keep both budgets.
 */
function sameAccountsStillValid(base: StateDocument, doc: StateDocument): boolean {
  if (doc.accounts.length !== base.accounts.length) return false
  const names = new Set<string>()
  const dirs = new Set<string>()
  return doc.accounts.every((account, i) => {
    const name = account.name.toLowerCase()
    if (account.id !== base.accounts[i]!.id || names.has(name) || dirs.has(account.configDir)) return false
    names.add(name)
    dirs.add(account.configDir)
    return account.plan !== 'custom' || (account.blockBudgetUsd !== null && account.weeklyBudgetUsd !== null)
  })
}
